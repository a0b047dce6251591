package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/httplimit"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/requester"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/wssec"
)

// yamlPaths lists the field paths of a configuration type as its YAML
// decoder reads them: "a.b" for nested fields, "a[].b" in lists, "a.<key>"
// under maps.
func yamlPaths(t reflect.Type, prefix string, out map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeOf(time.Duration(0)), t == reflect.TypeOf(time.Time{}):
		out[prefix] = true
	case t.Kind() == reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || f.Type.Kind() == reflect.Func {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			yamlPaths(f.Type, p, out)
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		yamlPaths(t.Elem(), prefix+"[]", out)
	case t.Kind() == reflect.Map:
		yamlPaths(t.Elem(), prefix+".<"+mapKeyName(prefix)+">", out)
	default:
		out[prefix] = true
	}
}

// mapKeyName is how the reference names the keys of a map field.
func mapKeyName(path string) string {
	switch path {
	case "rules":
		return "version"
	}
	return "name"
}

// referenceRows reads the tables of a reference document: the field of
// each row (its first cell, in backquotes) and its cells.
func referenceRows(t *testing.T, file string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		field := strings.Trim(strings.TrimSpace(cells[0]), "`")
		if _, dup := rows[field]; dup {
			t.Errorf("%s: %s has two rows", file, field)
		}
		rows[field] = cells
	}
	return rows
}

func compareFields(t *testing.T, doc string, rows map[string][]string, fields map[string]bool) {
	t.Helper()
	var missing, extra []string
	for f := range fields {
		if _, ok := rows[f]; !ok {
			missing = append(missing, f)
		}
	}
	for f := range rows {
		if !fields[f] {
			extra = append(extra, f)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("%s has no row for %v", doc, missing)
	}
	if len(extra) > 0 {
		t.Errorf("%s has rows for fields the Go types do not have: %v", doc, extra)
	}
	for f, cells := range rows {
		if len(cells) != 5 {
			t.Errorf("%s: row %s has %d cells, want field, default, allowed values, Domibus, meaning", doc, f, len(cells))
		}
	}
}

// TestReferenceDocs: docs/pmode.md and docs/configuration.md have one row
// per field of the Go types, list the values of the enumerated fields, and
// give the defaults the code sets.
func TestReferenceDocs(t *testing.T) {
	root := testenv.RepoRoot(t)

	pmFields := map[string]bool{}
	yamlPaths(reflect.TypeOf(pmode.Config{}), "", pmFields)
	pmRows := referenceRows(t, filepath.Join(root, "docs/pmode.md"))
	compareFields(t, "docs/pmode.md", pmRows, pmFields)
	allowed := func(doc string, rows map[string][]string, field string, values ...string) {
		t.Helper()
		cells, ok := rows[field]
		if !ok || len(cells) < 3 {
			return // reported above
		}
		for _, v := range values {
			if !strings.Contains(cells[2], "`"+v+"`") {
				t.Errorf("%s: %s does not list the allowed value %s", doc, field, v)
			}
		}
	}
	allowed("docs/pmode.md", pmRows, "legs[].mep", pmode.MEPOneWay)
	allowed("docs/pmode.md", pmRows, "legs[].binding", pmode.BindingPush)
	allowed("docs/pmode.md", pmRows, "legs[].security.profile", string(wssec.AS4v115), string(wssec.AS4v20), string(pmode.ProfileNone))
	allowed("docs/pmode.md", pmRows, "legs[].security.timestamp", pmode.TimestampNone, pmode.TimestampOptional, pmode.TimestampRequired)
	for _, f := range []string{"legs[].security.signatureKeyReference", "legs[].security.encryptionKeyReference"} {
		allowed("docs/pmode.md", pmRows, f, pmode.KeyRefBST, pmode.KeyRefIssuerSerial, pmode.KeyRefSKI)
	}
	allowed("docs/pmode.md", pmRows, "legs[].reliability.receipt", pmode.ReceiptResponse, pmode.ReceiptNone)
	allowed("docs/pmode.md", pmRows, "legs[].reliability.retry.strategy", pmode.RetryConstant, pmode.RetryProgressive)

	cfgFields := map[string]bool{}
	yamlPaths(reflect.TypeOf(serveConfig{}), "", cfgFields)
	cfgRows := referenceRows(t, filepath.Join(root, "docs/configuration.md"))
	compareFields(t, "docs/configuration.md", cfgRows, cfgFields)
	allowed("docs/configuration.md", cfgRows, "log.level", "debug", "info", "warn", "error")
	allowed("docs/configuration.md", cfgRows, "log.format", "json", "text")
	allowed("docs/configuration.md", cfgRows, "discovery.flavour", string(smp.OASIS1), string(smp.OASIS2), string(smp.Peppol))

	// Defaults: those serveConfig sets itself, and those of the packages
	// it hands the fields to.
	defaults := map[string]string{
		"limits.maxConns":     fmt.Sprint(httplimit.DefaultMaxConns),
		"limits.maxInFlight":  fmt.Sprint(httplimit.DefaultMaxInFlight),
		"limits.minRate":      fmt.Sprint(httplimit.DefaultMinRate),
		"limits.grace":        httplimit.DefaultGrace.String(),
		"limits.retryAfter":   httplimit.DefaultRetryAfter.String(),
		"maxBodySize":         fmt.Sprint(as4.DefaultMaxBodySize),
		"maxDecompressedSize": fmt.Sprint(as4.DefaultMaxDecompressed),
		"maxCompressionRatio": fmt.Sprint(as4.DefaultMaxRatio),
		// The national node's sections.
		"journal.retentionMonths":          fmt.Sprint(journal.DefaultRetentionMonths),
		"requester.t1":                     requester.DefaultT1.String(),
		"requester.t2":                     requester.DefaultT2.String(),
		"requester.t3":                     requester.DefaultT3.String(),
		"provider.t1":                      requester.DefaultT1.String(),
		"provider.t2":                      requester.DefaultT2.String(),
		"provider.t3":                      requester.DefaultT3.String(),
		"requester.commonServices.timeout": defaultCSTimeout.String(),
		"provider.dataServiceTimeout":      defaultDataServiceTimeout.String(),
	}
	c := &serveConfig{}
	c.defaults()
	v := reflect.ValueOf(c).Elem()
	for _, f := range []struct{ path, field string }{{"listen", "Listen"}, {"dataDir", "DataDir"}, {"clientTimeout", "ClientTimeout"}} {
		defaults[f.path] = fmt.Sprint(v.FieldByName(f.field).Interface())
	}
	defaults["log.level"], defaults["log.format"] = c.Log.Level, c.Log.Format
	for field, def := range defaults {
		if d, ok := strings.CutSuffix(def, "m0s"); ok {
			def = d + "m" // 1m0s is written 1m
		}
		if cells, ok := cfgRows[field]; ok && !strings.HasPrefix(cells[1], "`"+def+"`") {
			t.Errorf("docs/configuration.md: %s: default %q, the code's is %s", field, cells[1], def)
		}
	}
}

// TestExamplesShowEveryField: the example P-Modes of each profile show
// every field of the P-Mode (an agreement is optional and shown as a
// comment), and the example configurations name only fields that exist.
func TestExamplesShowEveryField(t *testing.T) {
	root := testenv.RepoRoot(t)
	fields := map[string]bool{}
	yamlPaths(reflect.TypeOf(pmode.Config{}), "", fields)
	for _, file := range glob(t, root, []string{"ap/examples/*/pmode.yaml"}) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		shown := map[string]bool{}
		nodePaths(&doc, "", shown)
		for f := range fields {
			if !shown[f] && !strings.HasPrefix(f, "legs[].agreement.") {
				t.Errorf("%s does not show %s", file, f)
			}
		}
	}
}

// nodePaths lists the field paths a YAML document sets.
func nodePaths(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			nodePaths(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if prefix != "" {
				p = prefix + "." + p
			}
			nodePaths(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		if len(n.Content) > 0 && n.Content[0].Kind == yaml.MappingNode {
			for _, c := range n.Content {
				nodePaths(c, prefix+"[]", out)
			}
			return
		}
		out[prefix] = true
	default:
		out[prefix] = true
	}
}
