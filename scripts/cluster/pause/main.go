// pause: the pod sandbox's process. It holds the pod's namespaces open, reaps children it
// inherits, and exits on SIGINT/SIGTERM. The upstream pause image cannot be pulled here (no
// image registry), so scripts/cluster/up.sh builds this as a static binary and packs it as an
// image (scripts/cluster/oci-image.py).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sig {
		if s == syscall.SIGCHLD {
			for {
				var ws syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
