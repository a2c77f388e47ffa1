;; component-grow: run grows its memory a page at a time. It returns err
;; (exit 1) when a grow fails before 1 GiB (a memory limit held), ok (exit
;; 0) when it reaches 1 GiB.
(component
  (core module $m
    (memory 1)
    (func (export "run") (result i32)
      (loop $l
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
          (then (return (i32.const 1))))
        (br_if $l (i32.lt_u (memory.size) (i32.const 16384))))
      (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $r)))
