;; component-reactor: exports an interface of its own and no wasi:cli/run:
;; not a command, so create refuses it.
(component
  (core module $m
    (func (export "greet") (result i32) (i32.const 42)))
  (core instance $i (instantiate $m))
  (func $greet (result u32) (canon lift (core func $i "greet")))
  (instance $g (export "greet" (func $greet)))
  (export "example:demo/greeter" (instance $g)))
