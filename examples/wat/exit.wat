;; exit: calls proc_exit with the decimal number given as argv[1]
;; ("exit.wat 7" exits 7; no argument exits 0).
(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; 0: argc, 4: buffer size, 16..: argv pointers (at most 1000), 4096..: strings
  (func (export "_start")
    (local $p i32) (local $n i32) (local $c i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.lt_u (i32.load (i32.const 0)) (i32.const 2))
      (then (call $proc_exit (i32.const 0))))
    (if (i32.gt_u (i32.load (i32.const 0)) (i32.const 1000))
      (then (call $proc_exit (i32.const 2))))
    (if (i32.gt_u (i32.load (i32.const 4)) (i32.const 60000))
      (then (call $proc_exit (i32.const 2))))
    (drop (call $args_get (i32.const 16) (i32.const 4096)))
    (local.set $p (i32.load (i32.const 20)))
    (block $done
      (loop $digit
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.lt_u (local.get $c) (i32.const 48)))
        (br_if $done (i32.gt_u (local.get $c) (i32.const 57)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
                               (i32.sub (local.get $c) (i32.const 48))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digit)))
    (call $proc_exit (local.get $n))))
