package regrep

import (
	"bytes"
	"testing"
	"time"

	"github.com/oots-go/oots/xmltree"
)

// A query request whose slots use every ebRIM value type, nested slots,
// and an association and a package in a registry object list.
const everyValue = `<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xml="http://www.w3.org/XML/1998/namespace" id="urn:uuid:1" xml:lang="EN">
<rim:Slot name="s"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>text</rim:Value></rim:SlotValue></rim:Slot>
<rim:Slot name="b"><rim:SlotValue xsi:type="rim:BooleanValueType"><rim:Value>1</rim:Value></rim:SlotValue></rim:Slot>
<rim:Slot name="d"><rim:SlotValue xsi:type="rim:DateTimeValueType"><rim:Value>2022-05-19T17:08:10.872+02:00</rim:Value></rim:SlotValue></rim:Slot>
<rim:Slot name="du"><rim:SlotValue xsi:type="rim:DurationValueType"><rim:Value>P1D</rim:Value></rim:SlotValue></rim:Slot>
<rim:Slot name="i"><rim:SlotValue xsi:type="rim:IntegerValueType"><rim:Value>42</rim:Value></rim:SlotValue></rim:Slot>
<rim:Slot name="f"><rim:SlotValue xsi:type="rim:FloatValueType"><rim:Value>4.2</rim:Value></rim:SlotValue></rim:Slot>
<rim:Slot name="e"><rim:SlotValue xsi:type="rim:StringValueType"/></rim:Slot>
<rim:Slot name="is"><rim:SlotValue xsi:type="rim:InternationalStringValueType"><rim:Value><rim:LocalizedString xml:lang="EN" value="one"/><rim:LocalizedString xml:lang="DE" value="eins"/></rim:Value></rim:SlotValue></rim:Slot>
<rim:Slot name="v"><rim:SlotValue xsi:type="rim:VocabularyTermValueType"><rim:Value vocabulary="urn:v" term="t"/></rim:SlotValue></rim:Slot>
<rim:Slot name="n" type="urn:t"><rim:Slot name="inner"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>x</rim:Value></rim:SlotValue></rim:Slot><rim:SlotValue xsi:type="rim:SlotValueType"><rim:Slot name="sv"><rim:SlotValue xsi:type="rim:IntegerValueType"><rim:Value>1</rim:Value></rim:SlotValue></rim:Slot></rim:SlotValue></rim:Slot>
<rim:Slot name="m"><rim:SlotValue xsi:type="rim:MapValueType"><rim:Map><rim:Entry><rim:EntryKey xsi:type="rim:StringValueType"><rim:Value>k</rim:Value></rim:EntryKey></rim:Entry></rim:Map></rim:SlotValue></rim:Slot>
<rim:Slot name="c"><rim:SlotValue xsi:type="rim:CollectionValueType" collectionType="urn:oasis:names:tc:ebxml-regrep:CollectionType:Set"><rim:Element xsi:type="rim:StringValueType"><rim:Value>a</rim:Value></rim:Element><rim:Element xsi:type="rim:AnyValueType"><x xmlns="urn:x">any <y/></x></rim:Element></rim:SlotValue></rim:Slot>
<query:ResponseOption returnType="LeafClassWithRepositoryItem" returnComposedObjects="true"/>
<query:Query queryDefinition="DocumentQuery"/>
</query:QueryRequest>`

func TestEveryValueType(t *testing.T) {
	doc, err := xmltree.ParseBytes([]byte(everyValue), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, findings, err := Parse(doc.Root)
	if err != nil {
		t.Fatal(err)
	}
	// returnComposedObjects is a schema attribute the model keeps without
	// knowing it: reported, and written back.
	if len(findings) != 1 || findings[0].Rule != RuleUnknownAttribute {
		t.Errorf("findings %v", findings)
	}
	q := m.(*QueryRequest)
	if b, err := Find(q.Slots, "b").Value.Bool(); err != nil || !b {
		t.Errorf("boolean: %v %v", b, err)
	}
	if tm, err := Find(q.Slots, "d").Value.Time(); err != nil || !tm.Equal(time.Date(2022, 5, 19, 15, 8, 10, 872e6, time.UTC)) {
		t.Errorf("dateTime: %v %v", tm, err)
	}
	if lang, v := Find(q.Slots, "is").Value.Strings.First(); lang != "EN" || v != "one" {
		t.Errorf("international string: %s %s", lang, v)
	}
	if term := Find(q.Slots, "v").Value.Term; term == nil || term.Term != "t" {
		t.Errorf("vocabulary term %+v", term)
	}
	if s := Find(q.Slots, "n"); s.Value.Slot == nil || s.Value.Slot.Name != "sv" || len(s.Slots) != 1 {
		t.Errorf("slot value %+v", s)
	}
	if c := Find(q.Slots, "c").Value; len(c.Elements) != 2 || c.Elements[1].Type != AnyValueType || len(c.Elements[1].Any) != 1 {
		t.Errorf("collection %+v", c)
	}
	got, want := canonical(t, m.Element()), canonical(t, doc.Root)
	if !bytes.Equal(got, want) {
		t.Errorf("round trip differs:\n got %s\nwant %s", got, want)
	}
}

// TestBuiltValues: the constructors write the OOTS forms.
func TestBuiltValues(t *testing.T) {
	s := NewSlot("IssueDateTime", DateTime(time.Date(2022, 5, 19, 19, 8, 10, 0, time.FixedZone("", 2*3600))))
	got := string(s.Element().Canonical())
	want := `<rim:Slot xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" name="IssueDateTime"><rim:SlotValue xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="rim:DateTimeValueType"><rim:Value>2022-05-19T17:08:10.000Z</rim:Value></rim:SlotValue></rim:Slot>`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if v := Boolean(false); v.Text != "false" {
		t.Errorf("boolean %q", v.Text)
	}
}

// TestUnknownInList: an unknown element inside a rim:RegistryObjectList is
// reported and kept in the list.
func TestUnknownInList(t *testing.T) {
	src := `<rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"><rim:RegistryObjectList><rim:RegistryObject id="urn:uuid:1"/><x:y xmlns:x="urn:x"/></rim:RegistryObjectList></rs:RegistryResponse>`
	doc, err := xmltree.ParseBytes([]byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, findings, err := Parse(doc.Root)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Rule != RuleUnknownElement || findings[0].Location != "/rs:RegistryResponse/rim:RegistryObjectList/x:y" {
		t.Errorf("findings %v", findings)
	}
	if got, want := canonical(t, m.Element()), canonical(t, doc.Root); !bytes.Equal(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
