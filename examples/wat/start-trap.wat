;; start-trap: traps in the module's start function, during instantiation,
;; before _start runs.
(module
  (memory (export "memory") 1)
  (func $init unreachable)
  (start $init)
  (func (export "_start")))
