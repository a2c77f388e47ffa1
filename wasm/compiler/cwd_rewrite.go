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
func rewriteCwd(module []byte, cwd string) ([]byte, int) { return rewrite(module, cwd, false) }

// rewriteCwdComponent is rewriteCwd for a component (wc_cwd_rewrite_component).
func rewriteCwdComponent(component []byte, cwd string) ([]byte, int) {
	return rewrite(component, cwd, true)
}

func rewrite(in []byte, cwd string, component bool) ([]byte, int) {
	if len(in) == 0 || strings.IndexByte(cwd, 0) >= 0 {
		return nil, cwdUnsupported
	}
	ccwd := C.CString(cwd)
	defer C.free(unsafe.Pointer(ccwd))
	cin := C.CBytes(in)
	defer C.free(cin)
	var out *C.uchar
	var n C.size_t
	var rc int
	if component {
		rc = int(C.wc_cwd_rewrite_component((*C.uchar)(cin), C.size_t(len(in)), ccwd, &out, &n))
	} else {
		rc = int(C.wc_cwd_rewrite((*C.uchar)(cin), C.size_t(len(in)), ccwd, &out, &n))
	}
	if out == nil {
		return nil, rc
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), rc
}
