// Pins for building the OCI runtime-tools validation suite (see run.sh and
// docs/conformance.md).  run.sh copies this file to go.mod (and suite.sum to
// go.sum) in a module directory under the user's cache: it is deliberately not
// named go.mod, so that the repository holds no nested module.
//
// runtime-tools v0.9.0 predates Go modules; these are the nearest versions of
// its Godeps pins that the module proxy serves and that build with it (the
// proxy refuses the exact Godeps commits).  runtime-spec must be v1.0.2: v1.0.1
// lacks the VM section generate/ uses, and later versions changed types.
// satori/go.uuid must stay at v1.2.0: after it, NewV4 also returns an error.
// The golang.org/x modules only need to build with the current Go.
module wasm-runc.invalid/conformance-suite

go 1.22

require github.com/opencontainers/runtime-tools v0.9.0

require (
	github.com/blang/semver v3.5.0+incompatible // indirect
	github.com/cpuguy83/go-md2man/v2 v2.0.7 // indirect
	github.com/hashicorp/errwrap v1.0.0 // indirect
	github.com/hashicorp/go-multierror v1.0.0 // indirect
	github.com/mndrix/tap-go v0.0.0-20171203230836-629fa407e90b // indirect
	github.com/mrunalp/fileutils v0.5.0 // indirect
	github.com/opencontainers/runtime-spec v1.0.2 // indirect
	github.com/opencontainers/selinux v1.6.0 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/satori/go.uuid v1.2.0 // indirect
	github.com/sirupsen/logrus v1.0.4 // indirect
	github.com/syndtr/gocapability v0.0.0-20200815063812-42c35b437635 // indirect
	github.com/urfave/cli v1.22.17 // indirect
	github.com/xeipuuv/gojsonpointer v0.0.0-20190905194746-02993c407bfb // indirect
	github.com/xeipuuv/gojsonreference v0.0.0-20180127040603-bd5ef7bd5415 // indirect
	github.com/xeipuuv/gojsonschema v1.1.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.47.0 // indirect
)
