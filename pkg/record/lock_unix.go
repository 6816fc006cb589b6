//go:build unix

package record

import (
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock on f, so that a write of a record
// larger than the system writes at once still lands whole.
func lock(f *os.File) (unlock func(), err error) {
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, nil
}
