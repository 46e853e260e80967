package store

import (
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"syscall"
	"unsafe"
)

// mapMin is the size from which withContents maps a file instead of reading
// it: below it, the mmap and munmap calls cost more than the copy.
const mapMin = 256 << 10

var errShrank = errors.New("the file shrank while it was being read (edited in place?)")

// withContents calls fn with the contents of the file at path. A large file
// is mapped, populated in one call, rather than read: a fresh process would
// otherwise fault in and zero a heap buffer of the file's size page by page
// and then copy the file into it, which costs more than decoding it (a
// 1.4 MB release: 1.2 ms of a 15 ms status). data is valid only during fn,
// which must copy what it keeps. Writers replace state files by rename, so
// the mapped file does not change; if something truncates it in place
// anyway, the fault on the lost pages becomes errShrank, not a crash.
func withContents(path string, fn func(data []byte)) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size < mapMin || size > MaxFileSize || !fi.Mode().IsRegular() {
		data, err := readAll(f, size)
		if err != nil {
			return err
		}
		fn(data)
		return nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return err
	}
	defer syscall.Munmap(data)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if inside(p, data) {
				err = errShrank
				return
			}
			panic(p)
		}
	}()
	fn(data)
	return nil
}

// inside reports whether panic value p is a memory fault inside data.
func inside(p any, data []byte) bool {
	fault, ok := p.(interface {
		runtime.Error
		Addr() uintptr
	})
	if !ok {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	return fault.Addr() >= start && fault.Addr() < start+uintptr(len(data))
}
