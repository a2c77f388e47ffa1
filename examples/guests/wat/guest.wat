;; guest.wat: the hand-written member of the guest matrix
;; (examples/guests/README.md), for WASI preview 1 with no toolchain at all.
;; A subset of the others: it prints its arguments ("arg[i]=..."), the
;; first line of /etc/guest.txt ("read /etc/guest.txt: ..." or
;; "read /etc/guest.txt: error"), and exits with proc_exit(GUEST_EXIT)
;; (0 when unset). It opens the file through the preopen named "/", as
;; an absolute path means, whatever the working directory.
;;
;; Build: wat2wasm -o wat.wasm guest.wat
(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get"
    (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get"
    (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name"
    (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  ;; 0..15: an iovec and a count for fd_write/fd_read.
  (data (i32.const 16) "arg[")
  (data (i32.const 24) "]=")
  (data (i32.const 28) "\n")
  (data (i32.const 32) "read /etc/guest.txt: ")      ;; 21 bytes
  (data (i32.const 64) "error")                      ;; 5
  (data (i32.const 80) "etc/guest.txt")              ;; 13
  (data (i32.const 96) "GUEST_EXIT=")                ;; 11
  ;; 128..191: digits of a number; 256..: prestat, preopen name (272),
  ;; opened fd (300); 1024..: what the host hands us (args, environment,
  ;; the file), allocated upwards.
  (global $heap (mut i32) (i32.const 1024))

  ;; alloc returns n bytes of memory, growing it when needed.
  (func $alloc (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (local.get $p) (i32.and (i32.add (local.get $n) (i32.const 3)) (i32.const -4))))
    (block $ok
      (loop $more
        (br_if $ok (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.lt_s (memory.grow (i32.const 1)) (i32.const 0)) (then unreachable))
        (br $more)))
    (local.get $p))

  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $end
      (loop $next
        (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  ;; print_u32 prints n in decimal.
  (func $print_u32 (param $n i32)
    (local $p i32)
    (local.set $p (i32.const 192))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    (call $print (local.get $p) (i32.sub (i32.const 192) (local.get $p))))

  (func $print_args
    (local $argc i32) (local $argv i32) (local $i i32) (local $s i32)
    (drop (call $args_sizes_get (i32.const 8) (i32.const 12)))
    (local.set $argc (i32.load (i32.const 8)))
    (local.set $argv (call $alloc (i32.mul (local.get $argc) (i32.const 4))))
    (drop (call $args_get (local.get $argv) (call $alloc (i32.load (i32.const 12)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $argc)))
        (local.set $s (i32.load (i32.add (local.get $argv) (i32.mul (local.get $i) (i32.const 4)))))
        (call $print (i32.const 16) (i32.const 4))
        (call $print_u32 (local.get $i))
        (call $print (i32.const 24) (i32.const 2))
        (call $print (local.get $s) (call $strlen (local.get $s)))
        (call $print (i32.const 28) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; root_preopen returns the preopened directory named "/", or -1.
  (func $root_preopen (result i32)
    (local $fd i32)
    (local.set $fd (i32.const 3))
    (block $none
      (loop $next
        ;; EBADF ends the preopens.
        (br_if $none (call $fd_prestat_get (local.get $fd) (i32.const 256)))
        (if (i32.and
              (i32.eq (i32.load (i32.const 260)) (i32.const 1))
              (i32.eqz (call $fd_prestat_dir_name (local.get $fd) (i32.const 272) (i32.const 1))))
          (then
            (if (i32.eq (i32.load8_u (i32.const 272)) (i32.const 47)) ;; '/'
              (then (return (local.get $fd))))))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $next)))
    (i32.const -1))

  ;; show_file prints the first line of /etc/guest.txt (at most 4 KiB).
  (func $show_file
    (local $dir i32) (local $buf i32) (local $n i32) (local $i i32)
    (call $print (i32.const 32) (i32.const 21))
    (local.set $dir (call $root_preopen))
    (block $fail
      (br_if $fail (i32.lt_s (local.get $dir) (i32.const 0)))
      ;; dirflags: follow symlinks; rights: fd_read (2).
      (br_if $fail (call $path_open (local.get $dir) (i32.const 1) (i32.const 80) (i32.const 13)
        (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 300)))
      (local.set $buf (call $alloc (i32.const 4096)))
      (i32.store (i32.const 0) (local.get $buf))
      (i32.store (i32.const 4) (i32.const 4096))
      (br_if $fail (call $fd_read (i32.load (i32.const 300)) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $n (i32.load (i32.const 8)))
      (block $eol
        (loop $scan
          (br_if $eol (i32.ge_u (local.get $i) (local.get $n)))
          (br_if $eol (i32.eq (i32.load8_u (i32.add (local.get $buf) (local.get $i))) (i32.const 10)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $scan)))
      (call $print (local.get $buf) (local.get $i))
      (call $print (i32.const 28) (i32.const 1))
      (return))
    (call $print (i32.const 64) (i32.const 5))
    (call $print (i32.const 28) (i32.const 1)))

  ;; exit_code is the decimal value of GUEST_EXIT, 0 when unset.
  (func $exit_code (result i32)
    (local $count i32) (local $envp i32) (local $i i32) (local $s i32) (local $j i32) (local $n i32) (local $c i32)
    (drop (call $environ_sizes_get (i32.const 8) (i32.const 12)))
    (local.set $count (i32.load (i32.const 8)))
    (local.set $envp (call $alloc (i32.mul (local.get $count) (i32.const 4))))
    (drop (call $environ_get (local.get $envp) (call $alloc (i32.load (i32.const 12)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $s (i32.load (i32.add (local.get $envp) (i32.mul (local.get $i) (i32.const 4)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        ;; Does the entry start with "GUEST_EXIT="?
        (local.set $j (i32.const 0))
        (block $nomatch
          (loop $cmp
            (if (i32.eq (local.get $j) (i32.const 11))
              (then
                ;; Parse the digits after the "=".
                (local.set $s (i32.add (local.get $s) (i32.const 11)))
                (block $end
                  (loop $digit
                    (local.set $c (i32.sub (i32.load8_u (local.get $s)) (i32.const 48)))
                    (br_if $end (i32.gt_u (local.get $c) (i32.const 9)))
                    (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (local.get $c)))
                    (local.set $s (i32.add (local.get $s) (i32.const 1)))
                    (br $digit)))
                (return (local.get $n))))
            (br_if $nomatch (i32.ne
              (i32.load8_u (i32.add (local.get $s) (local.get $j)))
              (i32.load8_u (i32.add (i32.const 96) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cmp)))
        (br $next)))
    (i32.const 0))

  (func (export "_start")
    (call $print_args)
    (call $show_file)
    (call $proc_exit (call $exit_code))))
