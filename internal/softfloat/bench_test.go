package softfloat

import "testing"

var benchSink F80

func BenchmarkOps(b *testing.B) {
	x := F80{Mant: 0xC90FDAA22168C235, SE: 0x4000}
	y := F80{Mant: 0xB17217F7D1CF79AC, SE: 0x3FFE}
	e := &Env{PC: Prec64}
	ops := []struct {
		name string
		fn   func() F80
	}{
		{"Add", func() F80 { return e.Add(x, y) }},
		{"Mul", func() F80 { return e.Mul(x, y) }},
		{"Div", func() F80 { return e.Div(x, y) }},
		{"Sqrt", func() F80 { return e.Sqrt(x) }},
		{"Prem", func() F80 { r, _, _ := e.Prem(x, y); return r }},
		{"ToFloat64", func() F80 { return F80{Mant: e.ToFloat64(x)} }},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			for b.Loop() {
				benchSink = op.fn()
			}
		})
	}
}
