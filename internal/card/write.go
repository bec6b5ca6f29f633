package card

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// A card is written in one pass into one buffer. Each element could write
// itself (MarshalJSON), but encoding/json checks and re-compacts whatever a
// MarshalJSON returns, so a card written as nested MarshalJSON calls was
// re-read once per level it sits under: a form's input four times before the
// card's bytes were done, most of the cost of sending a form. The writer
// walks the containers itself (the card, its body, forms, column sets and
// columns) and asks only leaves for their JSON, which holds no element.
// The bytes are those of the nested calls (TestWriterAsNested).

// writer holds the card's bytes, and an encoder, HTML left unescaped, for
// the fields of one value at a time.
type writer struct {
	out       []byte
	scratch   bytes.Buffer
	enc       *json.Encoder
	fallbacks int // containers written as nested calls (see open); tests want none
}

func newWriter() *writer {
	w := &writer{out: make([]byte, 0, 2048)}
	w.enc = json.NewEncoder(&w.scratch)
	w.enc.SetEscapeHTML(false)
	return w
}

// encode returns v's JSON, valid until the next call.
func (w *writer) encode(v any) ([]byte, error) {
	w.scratch.Reset()
	if err := w.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(w.scratch.Bytes(), []byte("\n")), nil
}

// open writes v's JSON, which must end with the member last (its value
// encoded as it is when the children are left out), up to that value: the
// caller writes the children and closes. ok is false, with nothing
// written, when v's JSON does not end so: a field added after the children
// in the type. The caller then writes v as nested calls would.
func (w *writer) open(v any, last string) (ok bool, err error) {
	b, err := w.encode(v)
	if err != nil {
		return false, err
	}
	if !bytes.HasSuffix(b, []byte(last)) {
		return false, nil
	}
	w.out = append(w.out, b[:len(b)-len(last)]...)
	return true, nil
}

// openTagged is open for an element: "tag" first, as tagged writes it.
func (w *writer) openTagged(tag string, v any, last string) (ok bool, err error) {
	b, err := w.encode(v)
	if err != nil {
		return false, err
	}
	if !bytes.HasPrefix(b, []byte("{")) || !bytes.HasSuffix(b, []byte(last)) {
		return false, nil
	}
	w.out = append(w.out, `{"tag":`...)
	w.out = strconv.AppendQuote(w.out, tag)
	w.out = append(w.out, ',')
	w.out = append(w.out, b[1:len(b)-len(last)]...)
	return true, nil
}

// elements writes es as a JSON array.
func (w *writer) elements(es []Element) error {
	w.out = append(w.out, '[')
	for i, e := range es {
		if i > 0 {
			w.out = append(w.out, ',')
		}
		if err := w.element(e); err != nil {
			return err
		}
	}
	w.out = append(w.out, ']')
	return nil
}

// element writes e: a container member by member, a leaf as it writes
// itself.
func (w *writer) element(e Element) error {
	var ok bool
	var err error
	switch c := e.(type) {
	case Form:
		type fields Form
		f := fields(c)
		f.Elements = nil
		if ok, err = w.openTagged("form", f, `"elements":null}`); ok {
			w.out = append(w.out, `"elements":`...)
			err = w.elements(c.Elements)
			w.out = append(w.out, '}')
		}
	case Column:
		type fields Column
		f := fields(c)
		f.Elements = nil
		if ok, err = w.openTagged("column", f, `"elements":null}`); ok {
			w.out = append(w.out, `"elements":`...)
			err = w.elements(c.Elements)
			w.out = append(w.out, '}')
		}
	case ColumnSet:
		type fields ColumnSet
		f := fields(c)
		f.Columns = nil
		if ok, err = w.openTagged("column_set", f, `"columns":null}`); ok {
			w.out = append(w.out, `"columns":[`...)
			for i, col := range c.Columns {
				if i > 0 {
					w.out = append(w.out, ',')
				}
				if err = w.element(col); err != nil {
					break
				}
			}
			w.out = append(w.out, "]}"...)
		}
	default:
		var b []byte
		if b, err = e.MarshalJSON(); err == nil {
			w.out = append(w.out, b...)
		}
		return err
	}
	if err != nil || ok {
		return err
	}
	w.fallbacks++
	b, err := nested(e)
	w.out = append(w.out, b...)
	return err
}

// nested is e's JSON written by encoding/json through the MarshalJSON of
// each level: the writer's fallback for a container whose fields it cannot
// split (see open).
func nested(e Element) ([]byte, error) {
	switch c := e.(type) {
	case Form:
		type fields Form
		v := fields(c)
		v.Elements = nonNil(v.Elements)
		return tagged(c, v)
	case Column:
		type fields Column
		f := fields(c)
		f.Elements = nonNil(f.Elements)
		return tagged(c, f)
	case ColumnSet:
		type fields ColumnSet
		f := fields(c)
		f.Columns = nonNil(f.Columns)
		return tagged(c, f)
	}
	return e.MarshalJSON()
}

// writeContainer is the MarshalJSON of a container element.
func writeContainer(e Element) ([]byte, error) {
	w := newWriter()
	if err := w.element(e); err != nil {
		return nil, err
	}
	return w.out, nil
}

// body writes {"elements":[...]}.
func (w *writer) body(b Body) error {
	w.out = append(w.out, `{"elements":`...)
	if err := w.elements(b.Elements); err != nil {
		return err
	}
	w.out = append(w.out, '}')
	return nil
}

// card writes a card in one language.
func (w *writer) card(c Card) error {
	type plain Card // no methods: marshals the fields
	p := plain(c)
	p.Body = Body{}
	p.variants = nil
	ok, err := w.open(p, `"body":{"elements":[]}}`)
	if err != nil {
		return err
	}
	if !ok {
		w.fallbacks++
		b, err := marshalText(plain(c))
		w.out = append(w.out, b...)
		return err
	}
	w.out = append(w.out, `"body":`...)
	if err := w.body(c.Body); err != nil {
		return err
	}
	w.out = append(w.out, '}')
	return nil
}
