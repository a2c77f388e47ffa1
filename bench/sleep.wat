;; sleep: a Wasm container that stays up, for memory figures. It blocks in
;; WASI poll_oneoff on an hour-long relative monotonic-clock subscription,
;; again and again, until it is killed.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; subscription at 0 (48 bytes): userdata u64 @0, tag u8 @8 (0 = clock),
  ;; clock id u32 @16 (1 = monotonic), timeout u64 @24 (ns), precision u64 @32,
  ;; flags u16 @40 (0 = relative). The event lands at 64, the count at 128.
  (func (export "_start")
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 3600000000000))
    (loop $forever
      (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
      (br $forever))))
