package simulator

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// RDS event source types, as DescribeEvents' SourceType names them (botocore's rds
// service model, enum SourceType).
var EventSourceTypes = []string{
	"db-instance", "db-parameter-group", "db-security-group", "db-snapshot", "db-cluster",
	"db-cluster-snapshot", "custom-engine-version", "db-proxy", "blue-green-deployment",
	"db-shard-group", "zero-etl",
}

// EventCategories are RDS event categories (RDS User Guide, "Amazon RDS event categories
// and event messages"; DescribeEventCategories).
var EventCategories = []string{
	"agent", "availability", "backtrack", "backup", "configuration change", "creation", "deletion",
	"failover", "failure", "global-failover", "low storage", "maintenance", "notification",
	"read replica", "recovery", "restoration", "security", "security patching", "serverless",
}

// eventRetention is how long RDS keeps events (DescribeEvents: "the past 14 days").
const eventRetention = 14 * 24 * time.Hour

// Event is one RDS event of the fleet's scripted history. DescribeEvents shows it from Time
// on (never before: the simulator does not know the future) until it is 14 days old.
type Event struct {
	Time             time.Time `yaml:"time" json:"time"`
	SourceType       string    `yaml:"source_type" json:"source_type"`
	SourceIdentifier string    `yaml:"source" json:"source"`
	Categories       []string  `yaml:"categories" json:"categories"`
	Message          string    `yaml:"message" json:"message"`
}

// validateEvents checks source types and categories, and that instance and cluster events
// name a member of the fleet.
func (f Fleet) validateEvents() []error {
	var errs []error
	inst := map[string]bool{}
	for _, in := range f.Instances {
		inst[in.Identifier] = true
	}
	clus := map[string]bool{}
	for _, c := range f.Clusters {
		clus[c.Identifier] = true
	}
	for i, e := range f.Events {
		switch {
		case e.Time.IsZero():
			errs = append(errs, fmt.Errorf("event %d: missing time", i))
		case !slices.Contains(EventSourceTypes, e.SourceType):
			errs = append(errs, fmt.Errorf("event %d: unknown source_type %q", i, e.SourceType))
		case e.SourceIdentifier == "":
			errs = append(errs, fmt.Errorf("event %d: missing source", i))
		case e.SourceType == "db-instance" && !inst[e.SourceIdentifier]:
			errs = append(errs, fmt.Errorf("event %d: instance %q does not exist", i, e.SourceIdentifier))
		case e.SourceType == "db-cluster" && !clus[e.SourceIdentifier]:
			errs = append(errs, fmt.Errorf("event %d: cluster %q does not exist", i, e.SourceIdentifier))
		case len(e.Categories) == 0 || e.Message == "":
			errs = append(errs, fmt.Errorf("event %d: needs categories and a message", i))
		}
		for _, c := range e.Categories {
			if !slices.Contains(EventCategories, c) {
				errs = append(errs, fmt.Errorf("event %d: unknown category %q", i, c))
			}
		}
	}
	return errs
}

// eventARN is the SourceArn RDS reports for an event source.
func eventARN(region, account, sourceType, id string) string {
	kind := map[string]string{
		"db-instance": "db", "db-cluster": "cluster", "db-parameter-group": "pg", "db-security-group": "secgrp",
		"db-snapshot": "snapshot", "db-cluster-snapshot": "cluster-snapshot", "db-proxy": "db-proxy",
		"blue-green-deployment": "deployment", "custom-engine-version": "cev", "db-shard-group": "shard-group",
		"zero-etl": "integration",
	}[sourceType]
	return fmt.Sprintf("arn:aws:rds:%s:%s:%s:%s", region, account, kind, id)
}

// sortedEvents is the history in the order DescribeEvents returns it: oldest first.
func sortedEvents(es []Event) []Event {
	out := slices.Clone(es)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// describeEvents implements DescribeEvents: the window is [StartTime, EndTime], EndTime
// defaulting to now and StartTime to EndTime minus Duration minutes (default 60); nothing
// older than 14 days or newer than now. Markers are offsets into the matching events,
// which stay valid because history only grows at its end.
func (s *Server) describeEvents(c *call) (object, *apiError) {
	st := s.current()
	now := s.now()
	sizeOnly := map[string]any{}
	if v, ok := c.params["MaxRecords"]; ok {
		sizeOnly["MaxRecords"] = v
	}
	maxRecords, _, aerr := pageParams(sizeOnly) // same bounds as DescribeDB*; markers differ
	if aerr != nil {
		return nil, aerr
	}
	offset := 0
	if m, _ := asString(c.params["Marker"]); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		n, perr := strconv.Atoi(strings.TrimPrefix(string(b), "events:"))
		if err != nil || perr != nil || !strings.HasPrefix(string(b), "events:") || n < 0 {
			return nil, errInvalidParameter("The marker %q is not valid.", m)
		}
		offset = n
	}
	srcType, _ := asString(c.params["SourceType"])
	srcID, _ := asString(c.params["SourceIdentifier"])
	if srcType != "" && !slices.Contains(EventSourceTypes, srcType) {
		return nil, errInvalidParameter("Invalid source type: %s", srcType)
	}
	if srcID != "" && srcType == "" {
		return nil, newAPIError(http.StatusBadRequest, "InvalidParameterCombination", "", "Cannot specify source identifier without source type")
	}
	end := now
	if v, ok := c.params["EndTime"]; ok {
		t, err := asTime(v)
		if err != nil {
			return nil, errInvalidParameter("EndTime: %v", err)
		}
		end = t
	}
	var start time.Time
	if v, ok := c.params["StartTime"]; ok {
		t, err := asTime(v)
		if err != nil {
			return nil, errInvalidParameter("StartTime: %v", err)
		}
		start = t
	} else {
		minutes := int64(60)
		if v, ok := c.params["Duration"]; ok {
			n, err := asInt(v)
			if err != nil || n < 0 {
				return nil, errInvalidParameter("Invalid value %v for Duration", v)
			}
			minutes = n
		}
		start = end.Add(-time.Duration(minutes) * time.Minute)
	}
	start = later(start, now.Add(-eventRetention))
	if end.After(now) {
		end = now
	}
	rawCats, err := asList(c.params["EventCategories"])
	if err != nil {
		return nil, errInvalidParameter("EventCategories: %v", err)
	}
	var cats []string
	for _, v := range rawCats {
		sv, _ := asString(v)
		cats = append(cats, sv)
	}
	var matched []Event
	for _, e := range st.events {
		if e.Time.Before(start) || e.Time.After(end) ||
			(srcType != "" && e.SourceType != srcType) || (srcID != "" && e.SourceIdentifier != srcID) ||
			(len(cats) > 0 && !slices.ContainsFunc(e.Categories, func(c string) bool { return slices.Contains(cats, c) })) {
			continue
		}
		matched = append(matched, e)
	}
	out := object{}
	if offset > len(matched) {
		offset = len(matched)
	}
	matched = matched[offset:]
	if len(matched) > maxRecords {
		out = out.add("Marker", base64.RawURLEncoding.EncodeToString([]byte("events:"+strconv.Itoa(offset+maxRecords))))
		matched = matched[:maxRecords]
	}
	items := make([]any, len(matched))
	for i, e := range matched {
		cs := list{item: "EventCategory", values: make([]any, len(e.Categories))}
		for j, c := range e.Categories {
			cs.values[j] = c
		}
		items[i] = object{
			{"SourceIdentifier", e.SourceIdentifier},
			{"SourceType", e.SourceType},
			{"Message", e.Message},
			{"EventCategories", cs},
			{"Date", e.Time},
			{"SourceArn", eventARN(s.cfg.Region, s.cfg.AccountID, e.SourceType, e.SourceIdentifier)},
		}
	}
	s.counters.events(len(items))
	return append(out, member{"Events", list{item: "Event", values: items}}), nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ParseEvents decodes an event history file: a YAML document with one key, events, a list
// of Event (time, source_type, source, categories, message). Fleet.Validate checks it.
func ParseEvents(data []byte) ([]Event, error) {
	var doc struct {
		Events []Event `yaml:"events"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode events YAML: %w", err)
	}
	return doc.Events, nil
}
