package datamodel

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// maxDepth bounds the nesting of a document (the models have two levels).
const maxDepth = 8

// parseXML reads an XML document into a tree: the root must be the model's
// element in its namespace (or an alias); children must be in the same
// namespace; no mixed content. Comments and processing instructions are
// ignored; a DOCTYPE is refused.
func parseXML(m *Model, data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var stack []*node
	var root *node
	var ns string
	bad := func(format string, args ...any) error {
		return &FieldError{Model: m.URI, Path: pathOf(stack), Reason: fmt.Sprintf(format, args...)}
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &FieldError{Model: m.URI, Reason: "not well-formed XML: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, bad("more than one root element")
			}
			if len(stack) >= maxDepth {
				return nil, bad("nested too deeply")
			}
			n := &node{name: t.Name.Local, leaf: true}
			if root == nil {
				if t.Name.Local != m.Root || !m.names(t.Name.Space) {
					return nil, &FieldError{Model: m.URI, Reason: fmt.Sprintf("the root element is {%s}%s, not {%s}%s", t.Name.Space, t.Name.Local, m.URI, m.Root)}
				}
				root, ns = n, t.Name.Space
			} else {
				p := stack[len(stack)-1]
				if t.Name.Space != ns {
					stack = append(stack, n)
					return nil, bad("element in namespace %q, not the model's %q", t.Name.Space, ns)
				}
				if strings.TrimSpace(p.value) != "" {
					return nil, bad("text and elements are mixed")
				}
				p.leaf = false
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, &FieldError{Model: m.URI, Reason: "text outside the root element"}
				}
				continue
			}
			n := stack[len(stack)-1]
			if !n.leaf && len(bytes.TrimSpace(t)) > 0 {
				return nil, bad("text and elements are mixed")
			}
			n.value += string(t)
		case xml.Directive:
			return nil, &FieldError{Model: m.URI, Reason: "a DOCTYPE or other directive is not allowed"}
		}
	}
	if root == nil {
		return nil, &FieldError{Model: m.URI, Reason: "no root element"}
	}
	return root, nil
}

// pathOf is the field path of the element being read (without the root).
func pathOf(stack []*node) string {
	var names []string
	for _, n := range stack[min(1, len(stack)):] {
		names = append(names, n.name)
	}
	return strings.Join(names, "/")
}

// parseJSON reads a JSON document: an object whose members are fields
// (strings; a Decimal may also be a number) or groups (objects).
func parseJSON(m *Model, data []byte) (*node, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, &FieldError{Model: m.URI, Reason: "not well-formed JSON: " + err.Error()}
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, &FieldError{Model: m.URI, Reason: "data after the JSON object"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &FieldError{Model: m.URI, Reason: "the document is not a JSON object"}
	}
	return jsonNode(m, "", m.Root, obj, 0)
}

func jsonNode(m *Model, path, name string, obj map[string]any, depth int) (*node, error) {
	if depth >= maxDepth {
		return nil, &FieldError{Model: m.URI, Path: path, Reason: "nested too deeply"}
	}
	n := &node{name: name}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := k
		if path != "" {
			p = path + "/" + k
		}
		switch v := obj[k].(type) {
		case string:
			n.children = append(n.children, &node{name: k, value: v, leaf: true})
		case json.Number:
			if f := m.Field(p); f == nil || f.Type != Decimal {
				return nil, &FieldError{Model: m.URI, Path: p, Reason: "must be a string"}
			}
			n.children = append(n.children, &node{name: k, value: v.String(), leaf: true})
		case map[string]any:
			c, err := jsonNode(m, p, k, v, depth+1)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
		case nil:
			n.children = append(n.children, &node{name: k, leaf: true})
		default:
			return nil, &FieldError{Model: m.URI, Path: p, Reason: fmt.Sprintf("must be a string or an object, not %T", v)}
		}
	}
	return n, nil
}

// Encode writes a document of the model in mime (application/xml or
// application/json) from values by path, fields in the model's order;
// empty values are left out. The result is validated: a value that does not
// fit its field is a *FieldError, a path that is no field of the model too.
func (m *Model) Encode(mime string, values map[string]string) ([]byte, error) {
	for p := range values {
		if m.Field(p) == nil {
			return nil, &FieldError{Model: m.URI, Path: p, Reason: "is not a field of the data model"}
		}
	}
	var out []byte
	switch mediaType(mime) {
	case MimeXML:
		out = m.encodeXML(values)
	case MimeJSON:
		b, err := json.MarshalIndent(m.encodeJSON("", values), "", "  ")
		if err != nil {
			return nil, fmt.Errorf("datamodel: %w", err)
		}
		out = append(b, '\n')
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedFormat, mime)
	}
	if err := m.Validate(mime, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Validate is the package's Validate for the model m.
func (m *Model) Validate(mime string, data []byte) error {
	_, err := m.Read(mime, data)
	return err
}

func (m *Model) encodeXML(values map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<%s xmlns=\"%s\">\n", m.Root, m.URI)
	var open []string // groups currently open
	for _, f := range m.Fields {
		v := values[f.Path]
		if v == "" {
			continue
		}
		parts := strings.Split(f.Path, "/")
		groups := parts[:len(parts)-1]
		i := 0
		for i < len(open) && i < len(groups) && open[i] == groups[i] {
			i++
		}
		for j := len(open) - 1; j >= i; j-- {
			fmt.Fprintf(&b, "%s</%s>\n", strings.Repeat("  ", j+1), open[j])
		}
		open = open[:i]
		for ; i < len(groups); i++ {
			fmt.Fprintf(&b, "%s<%s>\n", strings.Repeat("  ", i+1), groups[i])
			open = append(open, groups[i])
		}
		leaf := parts[len(parts)-1]
		fmt.Fprintf(&b, "%s<%s>", strings.Repeat("  ", len(groups)+1), leaf)
		xml.EscapeText(&b, []byte(v))
		fmt.Fprintf(&b, "</%s>\n", leaf)
	}
	for j := len(open) - 1; j >= 0; j-- {
		fmt.Fprintf(&b, "%s</%s>\n", strings.Repeat("  ", j+1), open[j])
	}
	fmt.Fprintf(&b, "</%s>\n", m.Root)
	return b.Bytes()
}

// encodeJSON builds the object of the group prefix ("" for the root).
func (m *Model) encodeJSON(prefix string, values map[string]string) map[string]any {
	obj := map[string]any{}
	for _, f := range m.Fields {
		v := values[f.Path]
		rest, ok := strings.CutPrefix(f.Path, prefix)
		if v == "" || !ok {
			continue
		}
		name, _, group := strings.Cut(rest, "/")
		if group {
			if _, done := obj[name]; !done {
				obj[name] = m.encodeJSON(prefix+name+"/", values)
			}
			continue
		}
		obj[name] = v
	}
	return obj
}
