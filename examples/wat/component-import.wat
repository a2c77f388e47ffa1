;; component-import: a command that imports an interface wasmtime's WASI
;; preview 2 does not provide: create fails at the link check.
(component
  (import "example:missing/thing" (instance $t
    (export "poke" (func))))
  (core func $poke (canon lower (func $t "poke")))
  (core instance $host (export "poke" (func $poke)))
  (core module $m
    (import "host" "poke" (func $poke))
    (func (export "run") (result i32) (call $poke) (i32.const 0)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $r)))
