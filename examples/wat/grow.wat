;; grow: calls memory.grow one 64 KiB page at a time until it returns -1,
;; prints "memory.grow failed at <pages> pages" and exits 0. Reaching the
;; 65536-page (4 GiB) ceiling of a 32-bit memory instead exits 3 with
;; "no limit reached": no memory limit was applied.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "memory.grow failed at ")
  (data (i32.const 128) " pages\n")
  (data (i32.const 160) "no limit reached\n")
  ;; write(len at 12, buf at 8) through the iovec at 0
  (func $print (param $buf i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $buf))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  ;; decimal digits of $n written backwards ending at 255; returns the start
  (func $itoa (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (i32.const 256))
    (loop $d
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $d (i32.ne (local.get $n) (i32.const 0))))
    (local.get $p))
  (func (export "_start")
    (local $s i32)
    (block $failed
      (loop $more
        (br_if $failed (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br_if $more (i32.lt_u (memory.size) (i32.const 65536))))
      (call $print (i32.const 160) (i32.const 17))
      (call $proc_exit (i32.const 3)))
    (call $print (i32.const 64) (i32.const 22))
    (local.set $s (call $itoa (memory.size)))
    (call $print (local.get $s) (i32.sub (i32.const 256) (local.get $s)))
    (call $print (i32.const 128) (i32.const 7))
    (call $proc_exit (i32.const 0))))
