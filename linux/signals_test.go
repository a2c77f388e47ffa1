package linux

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A registration started in the background catches a signal sent once it
// is ready, and Stop leaves the process as it was.
func TestListenSignals(t *testing.T) {
	s := ListenSignals()
	c := s.wait()
	if err := unix.Kill(os.Getpid(), unix.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	select {
	case sig := <-c:
		if sig != unix.SIGUSR2 {
			t.Fatalf("got %v, want SIGUSR2", sig)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SIGUSR2 never reached the channel")
	}
	s.Stop()
	var nilSignals *Signals
	nilSignals.Stop() // a Runner without a registration
}
