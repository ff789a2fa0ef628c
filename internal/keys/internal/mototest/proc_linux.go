package mototest

import "syscall"

// sysProcAttr makes the kernel kill moto if the test binary dies first
// (a test timeout, ^C), so no emulator outlives its tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
