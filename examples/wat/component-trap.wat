;; component-trap: run executes unreachable.
(component
  (core module $m
    (func $boom (export "run") (result i32) (unreachable)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $r)))
