package gen

import (
	"bytes"
	"encoding/json"
	"slices"
)

// Object is a JSON object that keeps its keys in the order they were set,
// so the generated schemas read top-down ($schema first, properties in the
// Go struct's order) and come out byte-for-byte the same on every run.
type Object struct {
	keys []string
	vals map[string]any
}

// Obj returns an Object with the given key/value pairs, in order.
func Obj(kv ...any) *Object {
	o := &Object{vals: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// Set sets key to v, keeping the key's first position if it was set before.
func (o *Object) Set(key string, v any) *Object {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
	return o
}

// Get returns the value of key.
func (o *Object) Get(key string) (any, bool) {
	v, ok := o.vals[key]
	return v, ok
}

// Len is the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// SortKeys orders the keys alphabetically (for $defs).
func (o *Object) SortKeys() { slices.Sort(o.keys) }

// MarshalJSON writes the keys in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal writes JSON without HTML escaping, so descriptions keep their
// <, > and & as written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
