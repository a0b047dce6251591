//go:build !linux

package console

import "errors"

// statfs is not implemented here: there is no low-disk alert.
func statfs(string) (Space, error) { return Space{}, errors.ErrUnsupported }
