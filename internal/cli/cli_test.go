package cli

import "testing"

type opts struct{ flag bool }

func TestHelpAndLookup(t *testing.T) {
	table := []Option[opts]{
		{"v", "", "be verbose", func(o *opts, _ string) error { o.flag = true; return nil }},
		{"plugin", "file=PATH[,args=STRING]", "load a plugin", nil},
	}
	want := "  -v                      be verbose\n" +
		"  -plugin file=PATH[,args=STRING]\n" +
		"                          load a plugin\n"
	if got := Help(table); got != want {
		t.Errorf("Help:\n%q\nwant\n%q", got, want)
	}
	var o opts
	if opt := Lookup(table, "v"); opt == nil || opt.Apply(&o, "") != nil || !o.flag {
		t.Errorf("Lookup(v) = %v, flag %v", opt, o.flag)
	}
	if Lookup(table, "x") != nil {
		t.Error("Lookup(x) found an option")
	}
	if got := Items([]Item{{"in_asm", "blocks"}, {"cpu", "registers"}}, 8); got != "  in_asm   blocks\n  cpu      registers\n" {
		t.Errorf("Items: %q", got)
	}
}
