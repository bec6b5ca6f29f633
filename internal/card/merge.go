package card

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// The languages of a Localized card are merged in one walk over the
// variants as written (write.go), straight into the card's bytes, rather
// than each variant decoded into maps, merged, and the maps encoded again.
// The bytes are those of the map route, which encoding/json defined: every
// object's keys sorted, strings and numbers as it writes them
// (TestMergeAsMaps).

// jnode is one JSON value of a variant: a span of its bytes, and for
// objects and arrays their members.
type jnode struct {
	kind byte   // '{', '[', '"', or 0 for a number, true, false or null
	raw  []byte // the value as written
	str  string // a string's value
	keys []string
	vals []*jnode // an object's values (by keys) or an array's elements
}

func (n *jnode) get(key string) *jnode {
	if n == nil || n.kind != '{' {
		return nil
	}
	if i := slices.Index(n.keys, key); i >= 0 {
		return n.vals[i]
	}
	return nil
}

var errJSON = errors.New("card: variant is not the JSON encoding/json writes")

// parser reads what encoding/json wrote: compact, valid JSON. Its nodes
// come from one slab, sized by a first look at the bytes, rather than one
// allocation each.
type parser struct {
	b    []byte
	i    int
	slab []jnode
}

func parseJSON(b []byte) (*jnode, error) {
	// Every value but the root follows one of these (a key is a value too).
	n := 1
	for _, c := range b {
		switch c {
		case '{', '[', ',', ':':
			n++
		}
	}
	p := &parser{b: b, slab: make([]jnode, 0, n)}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.i != len(b) {
		return nil, errJSON
	}
	return v, nil
}

// node returns a fresh node from the slab.
func (p *parser) node(kind byte) *jnode {
	if len(p.slab) == cap(p.slab) {
		return &jnode{kind: kind} // never, as the slab is sized; but never wrong
	}
	p.slab = append(p.slab, jnode{kind: kind})
	return &p.slab[len(p.slab)-1]
}

func (p *parser) value() (*jnode, error) {
	if p.i >= len(p.b) {
		return nil, errJSON
	}
	start := p.i
	switch p.b[p.i] {
	case '{':
		n := p.node('{')
		p.i++
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			n.raw = p.b[start:p.i]
			return n, nil
		}
		for {
			k, err := p.value()
			if err != nil || k.kind != '"' || p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, errJSON
			}
			p.i++
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			n.keys, n.vals = append(n.keys, k.str), append(n.vals, v)
			if p.i < len(p.b) && p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.b) && p.b[p.i] == '}' {
				p.i++
				n.raw = p.b[start:p.i]
				return n, nil
			}
			return nil, errJSON
		}
	case '[':
		n := p.node('[')
		p.i++
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			n.raw = p.b[start:p.i]
			return n, nil
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
			if p.i < len(p.b) && p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.b) && p.b[p.i] == ']' {
				p.i++
				n.raw = p.b[start:p.i]
				return n, nil
			}
			return nil, errJSON
		}
	case '"':
		p.i++
		escaped := false
		for p.i < len(p.b) && p.b[p.i] != '"' {
			if p.b[p.i] == '\\' {
				escaped = true
				p.i++
			}
			p.i++
		}
		if p.i >= len(p.b) {
			return nil, errJSON
		}
		p.i++
		n := p.node('"')
		n.raw = p.b[start:p.i]
		if !escaped {
			n.str = string(n.raw[1 : len(n.raw)-1])
		} else if err := json.Unmarshal(n.raw, &n.str); err != nil {
			return nil, errJSON
		}
		return n, nil
	default: // a number, true, false or null: up to the next delimiter
		for p.i < len(p.b) && p.b[p.i] != ',' && p.b[p.i] != '}' && p.b[p.i] != ']' {
			p.i++
		}
		if p.i == start {
			return nil, errJSON
		}
		n := p.node(0)
		n.raw = p.b[start:p.i]
		return n, nil
	}
}

// merger writes the merged card.
type merger struct {
	out     []byte
	def     int // index of the default locale in locales
	locales []string
	w       *writer // for the odd string or number that must be written again
}

// mergeVariants writes the Localized card of variants (in the order of
// locales, sorted). Objects merge key by key, over the default's keys; a
// "content" string that differs becomes the default's text plus an
// "i18n_content" map of every locale's; arrays of one length merge element
// by element; any other difference cannot be expressed, so the default's
// value stands. The root's config lists the locales.
func mergeVariants(def int, locales []string, variants []*jnode) ([]byte, error) {
	root := variants[def]
	if root.kind != '{' {
		return nil, errors.New("card: merged variants are not an object")
	}
	m := &merger{out: make([]byte, 0, 2*len(root.raw)), def: def, locales: locales, w: newWriter()}
	if err := m.object(variants, rootObject); err != nil {
		return nil, err
	}
	return m.out, nil
}

// value writes the merge of vals, the same position in every variant (nil
// where a variant has nothing there): the default's value, with objects
// and arrays merged member by member.
func (m *merger) value(vals []*jnode) error {
	base := vals[m.def]
	switch {
	case base == nil:
		m.out = append(m.out, "null"...)
		return nil
	case base.kind == '{':
		return m.object(vals, plainObject)
	case base.kind == '[':
		m.out = append(m.out, '[')
		for i := range base.vals {
			at := make([]*jnode, len(vals))
			for l, v := range vals {
				if v != nil && v.kind == '[' && len(v.vals) == len(base.vals) {
					at[l] = v.vals[i]
				} else {
					at[l] = base.vals[i]
				}
			}
			if i > 0 {
				m.out = append(m.out, ',')
			}
			if err := m.value(at); err != nil {
				return err
			}
		}
		m.out = append(m.out, ']')
		return nil
	case base.kind == '"':
		return m.str(base)
	}
	return m.number(base)
}

// Where an object sits, for what object adds to it.
const (
	plainObject = iota
	rootObject  // the card: its "config" gets the locales
	configObject
)

// object writes the merge of objects: the default's keys, sorted; a
// "content" string that differs between variants also gets "i18n_content",
// every locale's text (in place of any the default had). The root's config
// gets "locales", every locale, sorted; a root without one gets one.
func (m *merger) object(vals []*jnode, where int) error {
	base := vals[m.def]
	type member struct {
		key  string
		vals []*jnode // merged from these
		i18n bool     // "i18n_content": the texts of content
		cfg  bool     // the root's config
		list bool     // the config's locales
	}
	members := make([]member, 0, len(base.keys)+2)
	differ := false
	for i, k := range base.keys {
		at := make([]*jnode, len(vals))
		for l, v := range vals {
			at[l] = v.get(k)
		}
		if bv := base.vals[i]; k == "content" && bv.kind == '"' {
			for _, v := range at {
				t := ""
				if v != nil && v.kind == '"' {
					t = v.str
				}
				differ = differ || t != bv.str
			}
			if differ {
				members = append(members, member{key: "i18n_content", vals: at, i18n: true})
			}
		}
		if where == configObject && k == "locales" {
			continue
		}
		members = append(members, member{key: k, vals: at, cfg: where == rootObject && k == "config"})
	}
	if differ {
		members = slices.DeleteFunc(members, func(mb member) bool { return mb.key == "i18n_content" && !mb.i18n })
	}
	switch {
	case where == rootObject && base.get("config") == nil:
		members = append(members, member{key: "config", vals: make([]*jnode, len(vals)), cfg: true})
	case where == configObject:
		members = append(members, member{key: "locales", list: true})
	}
	slices.SortStableFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })

	m.out = append(m.out, '{')
	for i, mb := range members {
		if i > 0 {
			m.out = append(m.out, ',')
		}
		if err := m.key(mb.key); err != nil {
			return err
		}
		var err error
		switch {
		case mb.i18n:
			err = m.texts(mb.vals)
		case mb.cfg:
			err = m.config(mb.vals)
		case mb.list:
			var b []byte
			if b, err = m.w.encode(m.locales); err == nil {
				m.out = append(m.out, b...)
			}
		default:
			err = m.value(mb.vals)
		}
		if err != nil {
			return err
		}
	}
	m.out = append(m.out, '}')
	return nil
}

// texts writes {"en_us": ..., "zh_cn": ...}: each variant's text, "" where
// it has none.
func (m *merger) texts(vals []*jnode) error {
	m.out = append(m.out, '{')
	for l, v := range vals {
		if l > 0 {
			m.out = append(m.out, ',')
		}
		if err := m.key(m.locales[l]); err != nil {
			return err
		}
		if v == nil || v.kind != '"' {
			m.out = append(m.out, `""`...)
		} else if err := m.str(v); err != nil {
			return err
		}
	}
	m.out = append(m.out, '}')
	return nil
}

// config writes the root's config merged, with the locales; a config that
// is not an object gives way to one holding only them.
func (m *merger) config(vals []*jnode) error {
	if base := vals[m.def]; base == nil || base.kind != '{' {
		vals = slices.Clone(vals)
		vals[m.def] = &jnode{kind: '{'}
	}
	return m.object(vals, configObject)
}

// key writes a member's name and colon.
func (m *merger) key(k string) error {
	if err := m.str(&jnode{kind: '"', str: k}); err != nil {
		return err
	}
	m.out = append(m.out, ':')
	return nil
}

// str writes a string as encoding/json writes it (HTML left alone). A
// span with no backslash is already that; anything else is written again.
func (m *merger) str(n *jnode) error {
	if n.raw != nil && bytes.IndexByte(n.raw, '\\') < 0 {
		m.out = append(m.out, n.raw...)
		return nil
	}
	if n.raw == nil && safeASCII(n.str) {
		m.out = append(append(append(m.out, '"'), n.str...), '"')
		return nil
	}
	b, err := m.w.encode(n.str)
	if err != nil {
		return err
	}
	m.out = append(m.out, b...)
	return nil
}

// number writes a number as encoding/json writes the float64 it decodes
// to; true, false and null as they are. Integers of up to 15 digits read
// and write the same.
func (m *merger) number(n *jnode) error {
	r := n.raw
	if string(r) == "true" || string(r) == "false" || string(r) == "null" {
		m.out = append(m.out, r...)
		return nil
	}
	digits := bytes.TrimPrefix(r, []byte("-"))
	if len(digits) <= 15 && bytes.IndexAny(digits, ".eE") < 0 {
		m.out = append(m.out, r...)
		return nil
	}
	f, err := strconv.ParseFloat(string(r), 64)
	if err != nil {
		return errJSON
	}
	b, err := m.w.encode(f)
	if err != nil {
		return err
	}
	m.out = append(m.out, b...)
	return nil
}

// safeASCII reports whether s is written as it is between quotes.
func safeASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
