package plugin

import (
	"fmt"
	"strings"
)

// ParseSpec parses the value of a -plugin option (gemu's and
// gemu-system's): comma-separated key=value
// pairs, where ",," stands for a literal comma. The keys are file (the
// plugin's path) and args (its argument string); a leading bare NAME
// without "=" selects a built-in tracer instead of a file.
func ParseSpec(v string) (Spec, error) {
	var spec Spec
	bad := func(why string) (Spec, error) {
		return Spec{}, fmt.Errorf("bad -plugin option %q: %s", v, why)
	}
	if v == "" {
		return bad("empty")
	}
	// Split on single commas; ",," is an escaped comma.
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == ',' {
			if i+1 < len(v) && v[i+1] == ',' {
				cur.WriteByte(',')
				i++
				continue
			}
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(v[i])
	}
	parts = append(parts, cur.String())
	seen := map[string]bool{}
	for i, part := range parts {
		eq := strings.IndexByte(part, '=')
		if eq < 0 {
			if i == 0 && part != "" {
				spec.Name = part
				continue
			}
			if part == "" {
				return bad("empty element")
			}
			return bad(fmt.Sprintf("%q is not key=value", part))
		}
		key, val := part[:eq], part[eq+1:]
		if seen[key] {
			return bad(fmt.Sprintf("%s given twice", key))
		}
		seen[key] = true
		if val == "" {
			return bad(fmt.Sprintf("empty value for %s", key))
		}
		switch key {
		case "file":
			spec.Path = val
		case "args":
			spec.Args = val
		default:
			return bad(fmt.Sprintf("unknown key %q (expected file= or args=)", key))
		}
	}
	if spec.Name != "" && spec.Path != "" {
		return bad("a built-in tracer name and file= cannot be combined")
	}
	if spec.Name == "" && spec.Path == "" {
		return bad("missing file=PATH")
	}
	return spec, nil
}
