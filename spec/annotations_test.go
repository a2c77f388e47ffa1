package spec

import "testing"

func TestWasmMode(t *testing.T) {
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		program     string
		want        Mode
	}{
		{"none", nil, "wasm-runc", Native},
		{"handler wasm", map[string]string{HandlerAnnotation: "wasm"}, "wasm-runc", Wasm},
		{"handler smart", map[string]string{HandlerAnnotation: "wasm-smart"}, "wasm-runc", Smart},
		{"handler other", map[string]string{HandlerAnnotation: "krun"}, "wasm-runc", Native},
		{"variant compat", map[string]string{VariantAnnotation: "compat"}, "wasm-runc", Wasm},
		{"variant smart", map[string]string{VariantAnnotation: "compat-smart"}, "runc", Smart},
		{"variant other", map[string]string{VariantAnnotation: "foo"}, "runc", Native},
		{"containerd sandbox", map[string]string{VariantAnnotation: "compat", containerdContainerType: "sandbox"}, "wasm-runc", Native},
		{"crio sandbox", map[string]string{HandlerAnnotation: "wasm", crioContainerType: "sandbox"}, "wasm-runc", Native},
		{"containerd app", map[string]string{VariantAnnotation: "compat-smart", containerdContainerType: "container"}, "wasm-runc", Smart},
		{"runtime name -wasm", nil, "wasm-runc-wasm", Smart},
		{"runtime name -wasm sandbox", map[string]string{containerdContainerType: "sandbox"}, "runc-wasm", Native},
		{"annotation beats name", map[string]string{HandlerAnnotation: "wasm"}, "x-wasm", Wasm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := WasmMode(tc.annotations, tc.program); got != tc.want {
				t.Errorf("WasmMode(%v, %q) = %v, want %v", tc.annotations, tc.program, got, tc.want)
			}
		})
	}
}
