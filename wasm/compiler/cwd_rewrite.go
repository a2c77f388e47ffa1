package compiler

// #include <stdlib.h>
// #include "cwd_rewrite.h"
import "C"

import (
	"strings"
	"unsafe"
)

// What the working-directory rewrite did with a module (cwd_rewrite.h).
const (
	cwdJoin        = C.WC_CWD_JOIN
	cwdChdir       = C.WC_CWD_CHDIR
	cwdUnchanged   = C.WC_CWD_UNCHANGED
	cwdMalformed   = C.WC_CWD_MALFORMED
	cwdUnsupported = C.WC_CWD_UNSUPPORTED
)

// rewriteCwd runs the compile worker's rewrite (cwd_rewrite.c) on module
// in this process. Only tests call it: the worker calls the C function
// itself, and nothing on the host side parses module bytes.
func rewriteCwd(module []byte, cwd string) ([]byte, int) {
	if len(module) == 0 || strings.IndexByte(cwd, 0) >= 0 {
		return nil, cwdUnsupported
	}
	ccwd := C.CString(cwd)
	defer C.free(unsafe.Pointer(ccwd))
	in := C.CBytes(module)
	defer C.free(in)
	var out *C.uchar
	var n C.size_t
	rc := int(C.wc_cwd_rewrite((*C.uchar)(in), C.size_t(len(module)), ccwd, &out, &n))
	if out == nil {
		return nil, rc
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), rc
}

// rewriteCwdComponent is rewriteCwd for a component (wc_cwd_rewrite_component).
func rewriteCwdComponent(component []byte, cwd string) ([]byte, int) {
	if len(component) == 0 || strings.IndexByte(cwd, 0) >= 0 {
		return nil, cwdUnsupported
	}
	ccwd := C.CString(cwd)
	defer C.free(unsafe.Pointer(ccwd))
	in := C.CBytes(component)
	defer C.free(in)
	var out *C.uchar
	var n C.size_t
	rc := int(C.wc_cwd_rewrite_component((*C.uchar)(in), C.size_t(len(component)), ccwd, &out, &n))
	if out == nil {
		return nil, rc
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), rc
}
