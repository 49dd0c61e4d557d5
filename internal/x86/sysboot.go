package x86

import (
	"errors"
	"fmt"
)

// BootSegment loads segment register seg with the descriptor s the way a
// boot loader leaves it for the code it starts (the boot protocols define
// the segments' contents, not how they got there): selector, base and
// cache, with no checks and no descriptor-table access; for CS also the
// CPL (the descriptor's DPL) and the mode, 64-bit for an L segment while
// long mode is active, else 32-bit. 16-bit code is refused.
func (c *CPU) BootSegment(seg int, s SegCache) error {
	if c.Priv == nil {
		return errors.New("x86: BootSegment needs a system-mode CPU")
	}
	if seg < ES || seg > GS {
		return fmt.Errorf("x86: no segment register %d", seg)
	}
	mode := 0
	if seg == CS {
		switch {
		case s.Attr&AttrL != 0 && c.EFER&(1<<10) != 0:
			mode = 64
		case s.Attr&AttrDB != 0:
			mode = 32
		default:
			return errors.New("x86: a 16-bit code segment cannot be entered")
		}
	}
	c.Priv.Segs[seg] = s
	c.Seg[seg] = s.Sel
	c.SegBase[seg] = s.Base
	if seg == CS {
		c.setMode(mode)
		c.CPL = s.DPL()
		if c.Priv.MMU != nil {
			c.Priv.MMU.SetUser(c.CPL == 3)
		}
	}
	return nil
}
