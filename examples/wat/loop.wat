;; loop: spins forever without calling the host; only epoch interruption
;; (a signal to the runner) stops it.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever (br $forever))))
