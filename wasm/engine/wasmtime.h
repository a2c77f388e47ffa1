// The part of wasmtime's C API (v42, libwasmtime.a, linked through
// wasmtime-go) that the runner and the compile worker use, declared here
// because cgo cannot name wasmtime-go's include directory. The declarations
// follow wasmtime-go/v42/build/include (update them with wasmtime-go);
// TestWasmtimeHeader compiles them against the real headers.
#ifndef WASM_RUNC_WASMTIME_H
#define WASM_RUNC_WASMTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// wasmtime's own types, unless its real headers are included first: the
// header test (TestRunnerWasmtimeHeader) does that, so the compiler checks
// every prototype below against v42's, and the asserts at the end check
// layouts and constants.
#ifndef WASMTIME_API_H
typedef struct wasm_config_t wasm_config_t;
typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasm_frame_t wasm_frame_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasmtime_module wasmtime_module_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_linker wasmtime_linker_t;
typedef struct wasi_config_t wasi_config_t;
typedef struct wasmtime_val wasmtime_val_t;
typedef struct wasmtime_instance_pre wasmtime_instance_pre_t;
typedef struct wasm_exporttype_t wasm_exporttype_t;
typedef struct wasm_externtype_t wasm_externtype_t;
typedef uint8_t wasm_externkind_t;
typedef struct wasm_exporttype_vec_t {
	size_t size;
	wasm_exporttype_t **data;
} wasm_exporttype_vec_t;

typedef char wasm_byte_t;
typedef struct wasm_byte_vec_t {
	size_t size;
	wasm_byte_t *data;
} wasm_byte_vec_t;
typedef wasm_byte_vec_t wasm_name_t;
typedef wasm_name_t wasm_message_t;
typedef struct wasm_frame_vec_t {
	size_t size;
	wasm_frame_t **data;
} wasm_frame_vec_t;

typedef uint8_t wasmtime_strategy_t;
typedef uint8_t wasmtime_opt_level_t;
typedef size_t wasi_dir_perms;
typedef size_t wasi_file_perms;

typedef struct wasmtime_instance {
	uint64_t store_id;
	size_t __private;
} wasmtime_instance_t;
typedef struct wasmtime_func {
	uint64_t store_id;
	void *__private;
} wasmtime_func_t;
typedef uint8_t wasmtime_extern_kind_t;

// The component model (wasmtime/component/*.h).
typedef struct wasmtime_component_t wasmtime_component_t;
typedef struct wasmtime_component_linker_t wasmtime_component_linker_t;
typedef struct wasmtime_component_export_index_t wasmtime_component_export_index_t;
typedef struct wasmtime_component_type_t wasmtime_component_type_t;
typedef struct wasmtime_component_instance {
	uint64_t store_id;
	uint32_t __private;
} wasmtime_component_instance_t;
typedef struct wasmtime_component_func {
	struct {
		uint64_t store_id;
		uint32_t __private1;
	};
	uint32_t __private2;
} wasmtime_component_func_t;
#endif

#define WR_COMPONENT_RESULT 19		/* WASMTIME_COMPONENT_RESULT */
#define WR_COMPONENT_ITEM_INSTANCE 1	/* WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE */
#define WR_COMPONENT_ITEM_FUNC 3	/* WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC */

// wasmtime_component_val_t with its union cut to the member the runner
// reads (a result) and room for the others: 32 bytes in v42.
struct wr_component_val;
typedef struct wr_component_val {
	uint8_t kind;
	union {
		struct {
			bool is_ok;
			struct wr_component_val *val;
		} result;
		uint64_t room[3];
	} of;
} wr_component_val_t;
// wasmtime_component_item_t likewise: a kind and 16 bytes of union.
typedef struct wr_component_item {
	uint8_t kind;
	union {
		void *p;
		uint64_t room[2];
	} of;
} wr_component_item_t;
#ifdef WASMTIME_API_H
#define WR_COMPONENT_VAL wasmtime_component_val_t
#define WR_COMPONENT_ITEM wasmtime_component_item_t
#else
#define WR_COMPONENT_VAL wr_component_val_t
#define WR_COMPONENT_ITEM wr_component_item_t
#endif

#define WR_WASMTIME_STRATEGY_CRANELIFT 1 /* WASMTIME_STRATEGY_CRANELIFT */
#define WR_WASMTIME_OPT_LEVEL_SPEED 1    /* WASMTIME_OPT_LEVEL_SPEED */
#define WR_WASI_PERMS_READ 1  /* WASMTIME_WASI_{DIR,FILE}_PERMS_READ */
#define WR_WASI_PERMS_WRITE 2 /* WASMTIME_WASI_{DIR,FILE}_PERMS_WRITE */
#define WR_WASMTIME_EXTERN_FUNC 0 /* WASMTIME_EXTERN_FUNC */
#define WR_WASM_EXTERN_FUNC 0 /* WASM_EXTERN_FUNC */

// wasmtime_extern_t with its union replaced by the func member and room for
// the largest other member (24 bytes in v42).
typedef struct wr_extern {
	wasmtime_extern_kind_t kind;
	union {
		wasmtime_func_t func;
		uint64_t room[4];
	} of;
} wr_extern_t;
// The header test checks the prototype with wasmtime's type, and the layouts
// with the asserts at the end.
#ifdef WASMTIME_API_H
#define WR_EXPORT_ITEM wasmtime_extern_t
#else
#define WR_EXPORT_ITEM wr_extern_t
#endif

void wasm_byte_vec_delete(wasm_byte_vec_t *);
void wasm_frame_vec_delete(wasm_frame_vec_t *);
wasm_config_t *wasm_config_new(void);
void wasmtime_config_debug_info_set(wasm_config_t *, bool);
void wasmtime_config_epoch_interruption_set(wasm_config_t *, bool);
void wasmtime_config_strategy_set(wasm_config_t *, wasmtime_strategy_t);
void wasmtime_config_cranelift_opt_level_set(wasm_config_t *, wasmtime_opt_level_t);
wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *);
void wasmtime_engine_increment_epoch(wasm_engine_t *engine);
void wasmtime_error_delete(wasmtime_error_t *error);
void wasmtime_error_message(const wasmtime_error_t *error, wasm_name_t *message);
bool wasmtime_error_exit_status(const wasmtime_error_t *, int *status);
void wasm_trap_message(const wasm_trap_t *, wasm_message_t *out);
void wasm_trap_trace(const wasm_trap_t *, wasm_frame_vec_t *out);
void wasmtime_error_wasm_trace(const wasmtime_error_t *, wasm_frame_vec_t *out);
const wasm_name_t *wasmtime_frame_func_name(const wasm_frame_t *);
wasmtime_error_t *wasmtime_module_deserialize(wasm_engine_t *engine, const uint8_t *bytes, size_t bytes_len,
					      wasmtime_module_t **ret);
wasmtime_error_t *wasmtime_module_deserialize_file(wasm_engine_t *engine, const char *path,
						   wasmtime_module_t **ret);
wasmtime_store_t *wasmtime_store_new(wasm_engine_t *engine, void *data, void (*finalizer)(void *));
wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *store);
void wasmtime_store_limiter(wasmtime_store_t *store, int64_t memory_size, int64_t table_elements,
			    int64_t instances, int64_t tables, int64_t memories);
void wasmtime_context_set_epoch_deadline(wasmtime_context_t *context, uint64_t ticks_beyond_current);
wasmtime_error_t *wasmtime_context_set_wasi(wasmtime_context_t *context, wasi_config_t *wasi);
wasi_config_t *wasi_config_new(void);
bool wasi_config_set_argv(wasi_config_t *config, size_t argc, const char *argv[]);
bool wasi_config_set_env(wasi_config_t *config, size_t envc, const char *names[], const char *values[]);
void wasi_config_inherit_stdin(wasi_config_t *config);
void wasi_config_inherit_stdout(wasi_config_t *config);
void wasi_config_inherit_stderr(wasi_config_t *config);
bool wasi_config_preopen_dir(wasi_config_t *config, const char *host_path, const char *guest_path,
			     wasi_dir_perms dir_perms, wasi_file_perms file_perms);
wasmtime_linker_t *wasmtime_linker_new(wasm_engine_t *engine);
wasmtime_error_t *wasmtime_linker_define_wasi(wasmtime_linker_t *linker);
wasmtime_error_t *wasmtime_linker_instantiate(const wasmtime_linker_t *linker, wasmtime_context_t *store,
					      const wasmtime_module_t *module, wasmtime_instance_t *instance,
					      wasm_trap_t **trap);
bool wasmtime_instance_export_get(wasmtime_context_t *store, const wasmtime_instance_t *instance,
				  const char *name, size_t name_len, WR_EXPORT_ITEM *item);
void wasm_engine_delete(wasm_engine_t *);
wasmtime_error_t *wasmtime_wat2wasm(const char *wat, size_t wat_len, wasm_byte_vec_t *ret);
wasmtime_error_t *wasmtime_module_new(wasm_engine_t *engine, const uint8_t *wasm, size_t wasm_len,
				      wasmtime_module_t **ret);
void wasmtime_module_delete(wasmtime_module_t *m);
wasmtime_error_t *wasmtime_module_serialize(wasmtime_module_t *module, wasm_byte_vec_t *ret);
void wasmtime_module_exports(const wasmtime_module_t *module, wasm_exporttype_vec_t *out);
void wasm_exporttype_vec_delete(wasm_exporttype_vec_t *);
const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *);
const wasm_externtype_t *wasm_exporttype_type(const wasm_exporttype_t *);
wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *);
wasmtime_error_t *wasmtime_linker_instantiate_pre(const wasmtime_linker_t *linker, const wasmtime_module_t *module,
						  wasmtime_instance_pre_t **instance_pre);
void wasmtime_instance_pre_delete(wasmtime_instance_pre_t *instance_pre);
void wasmtime_linker_delete(wasmtime_linker_t *linker);
wasmtime_error_t *wasmtime_func_call(wasmtime_context_t *store, const wasmtime_func_t *func,
				     const wasmtime_val_t *args, size_t nargs, wasmtime_val_t *results,
				     size_t nresults, wasm_trap_t **trap);

wasmtime_error_t *wasmtime_component_new(const wasm_engine_t *engine, const uint8_t *buf, size_t len,
					 wasmtime_component_t **component_out);
wasmtime_error_t *wasmtime_component_serialize(const wasmtime_component_t *component, wasm_byte_vec_t *ret);
wasmtime_error_t *wasmtime_component_deserialize(const wasm_engine_t *engine, const uint8_t *buf, size_t len,
						 wasmtime_component_t **component_out);
wasmtime_error_t *wasmtime_component_deserialize_file(const wasm_engine_t *engine, const char *path,
						      wasmtime_component_t **component_out);
void wasmtime_component_delete(wasmtime_component_t *component);
wasmtime_component_type_t *wasmtime_component_type(const wasmtime_component_t *component);
void wasmtime_component_type_delete(wasmtime_component_type_t *ty);
size_t wasmtime_component_type_export_count(const wasmtime_component_type_t *ty, const wasm_engine_t *engine);
bool wasmtime_component_type_export_nth(const wasmtime_component_type_t *ty, const wasm_engine_t *engine,
					size_t nth, const char **name_ret, size_t *name_len_ret,
					WR_COMPONENT_ITEM *type_ret);
void wasmtime_component_item_delete(WR_COMPONENT_ITEM *ptr);
wasmtime_component_export_index_t *wasmtime_component_get_export_index(
	const wasmtime_component_t *component, const wasmtime_component_export_index_t *instance_export_index,
	const char *name, size_t name_len);
void wasmtime_component_export_index_delete(wasmtime_component_export_index_t *export_index);
wasmtime_component_linker_t *wasmtime_component_linker_new(const wasm_engine_t *engine);
wasmtime_error_t *wasmtime_component_linker_add_wasip2(wasmtime_component_linker_t *linker);
wasmtime_error_t *wasmtime_component_linker_instantiate(const wasmtime_component_linker_t *linker,
							wasmtime_context_t *context,
							const wasmtime_component_t *component,
							wasmtime_component_instance_t *instance_out);
void wasmtime_component_linker_delete(wasmtime_component_linker_t *linker);
bool wasmtime_component_instance_get_func(const wasmtime_component_instance_t *instance,
					  wasmtime_context_t *context,
					  const wasmtime_component_export_index_t *export_index,
					  wasmtime_component_func_t *func_out);
wasmtime_error_t *wasmtime_component_func_call(const wasmtime_component_func_t *func, wasmtime_context_t *context,
					       const WR_COMPONENT_VAL *args, size_t args_size,
					       WR_COMPONENT_VAL *results, size_t results_size);
void wasmtime_component_val_delete(WR_COMPONENT_VAL *value);

#ifdef WASMTIME_API_H
_Static_assert(sizeof(wr_component_val_t) == sizeof(wasmtime_component_val_t), "wr_component_val_t size");
_Static_assert(offsetof(wr_component_val_t, of) == offsetof(wasmtime_component_val_t, of), "wr_component_val_t.of");
_Static_assert(offsetof(wr_component_val_t, of.result.is_ok) == offsetof(wasmtime_component_val_t, of.result.is_ok), "result.is_ok");
_Static_assert(offsetof(wr_component_val_t, of.result.val) == offsetof(wasmtime_component_val_t, of.result.val), "result.val");
_Static_assert(sizeof(wr_component_item_t) == sizeof(wasmtime_component_item_t), "wr_component_item_t size");
_Static_assert(offsetof(wr_component_item_t, of) == offsetof(wasmtime_component_item_t, of), "wr_component_item_t.of");
_Static_assert(WR_COMPONENT_RESULT == WASMTIME_COMPONENT_RESULT, "component result kind");
_Static_assert(WR_COMPONENT_ITEM_INSTANCE == WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE, "item instance");
_Static_assert(WR_COMPONENT_ITEM_FUNC == WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC, "item func");
_Static_assert(sizeof(wr_extern_t) >= sizeof(wasmtime_extern_t), "wr_extern_t too small");
_Static_assert(offsetof(wr_extern_t, of) == offsetof(wasmtime_extern_t, of), "wr_extern_t.of offset");
_Static_assert(offsetof(wr_extern_t, of.func) == offsetof(wasmtime_extern_t, of.func), "wr_extern_t.of.func offset");
_Static_assert(WR_WASMTIME_STRATEGY_CRANELIFT == WASMTIME_STRATEGY_CRANELIFT, "strategy");
_Static_assert(WR_WASMTIME_OPT_LEVEL_SPEED == WASMTIME_OPT_LEVEL_SPEED, "opt level");
_Static_assert(WR_WASI_PERMS_READ == WASMTIME_WASI_DIR_PERMS_READ && WR_WASI_PERMS_READ == WASMTIME_WASI_FILE_PERMS_READ, "read perms");
_Static_assert(WR_WASI_PERMS_WRITE == WASMTIME_WASI_DIR_PERMS_WRITE && WR_WASI_PERMS_WRITE == WASMTIME_WASI_FILE_PERMS_WRITE, "write perms");
_Static_assert(WR_WASMTIME_EXTERN_FUNC == WASMTIME_EXTERN_FUNC, "extern kind");
_Static_assert(WR_WASM_EXTERN_FUNC == WASM_EXTERN_FUNC, "wasm extern kind");
#endif

#endif
