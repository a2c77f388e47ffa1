;; trap: executes `unreachable` at once.
(module
  (memory (export "memory") 1)
  (func $boom unreachable)
  (func (export "_start") (call $boom)))
