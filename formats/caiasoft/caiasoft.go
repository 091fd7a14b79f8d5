// Package caiasoft holds the facts of CaiaSoft's public REST API that annex
// answers in (docs/libraries.md, REST API): the item status strings, the job kinds of
// circrequests, the denial texts (istatus), the kinds of item events the
// engine records, and the wire shapes of the write-side endpoints. Every
// other package imports these; none spells them again.
package caiasoft

import (
	"maps"
	"slices"
)

// Item statuses: CaiaSoft's status list, spelled exactly as its clients
// compare them.
const (
	StatusAtRest            = "Item In at Rest"
	StatusOutPhysical       = "Out on Physical Retrieval"
	StatusPulledERetrieval  = "Pulled for E-Retrieval"
	StatusOutSHIP           = "Out on SH-I-P Service"
	StatusQueueRefile       = "In Queue for Refile"
	StatusQueuePhysical     = "In Queue for Physical Retrieval"
	StatusQueueERetrieval   = "In Queue for E-Retrieval"
	StatusQueueSHIP         = "In Queue for SH-I-P Service"
	StatusQueueDeaccession  = "In Queue for De-accession"
	StatusDeaccessioned     = "Item has been Deaccessioned"
	StatusWaitingAccession  = "Item Waiting on Incoming Accession Stream"
	StatusInAccession       = "Item In Accession Process"
	StatusCommitted         = "Item Committed"
	StatusNotFound          = "Item not Found"
	StatusRestrictedFromKey = "Item Restricted from this API Key"
)

// Statuses lists every status string, in CaiaSoft's order.
var Statuses = []string{StatusAtRest, StatusOutPhysical, StatusPulledERetrieval, StatusOutSHIP, StatusQueueRefile,
	StatusQueuePhysical, StatusQueueERetrieval, StatusQueueSHIP, StatusQueueDeaccession, StatusDeaccessioned,
	StatusWaitingAccession, StatusInAccession, StatusCommitted, StatusNotFound, StatusRestrictedFromKey}

// StoredStatuses are the statuses an item of the inventory can have.
// "Item Restricted from this API Key" is an answer about the asker, never
// an item's state. An item the floor cannot find on its shelf is "Item not
// Found", the status CaiaSoft gives a barcode it has no item for (annex's
// choice: the public list has no separate "missing").
var StoredStatuses = slices.DeleteFunc(slices.Clone(Statuses), func(s string) bool { return s == StatusRestrictedFromKey })

// IsStored reports whether an inventory item may have status s.
func IsStored(s string) bool { return slices.Contains(StoredStatuses, s) }

// IsOut reports whether an item with status s is out of the facility.
func IsOut(s string) bool {
	return s == StatusOutPhysical || s == StatusPulledERetrieval || s == StatusOutSHIP
}

// Job kinds: circrequests' request_type.
const (
	JobPhysical    = "PYR" // physical retrieval: out to a stop, back, refiled
	JobERetrieval  = "ERT" // e-retrieval: pulled, scanned, refiled
	JobDeaccession = "DEA" // deaccession: the item leaves the inventory for good
	JobSHIP        = "SHP" // special handling (SH-I-P): out and back
)

// Jobs lists the job kinds.
var Jobs = []string{JobPhysical, JobERetrieval, JobDeaccession, JobSHIP}

// IsJob reports whether s is a job kind.
func IsJob(s string) bool { return slices.Contains(Jobs, s) }

// QueueStatus is the status a request of a job puts an item in.
func QueueStatus(job string) string {
	switch job {
	case JobERetrieval:
		return StatusQueueERetrieval
	case JobDeaccession:
		return StatusQueueDeaccession
	case JobSHIP:
		return StatusQueueSHIP
	}
	return StatusQueuePhysical
}

// OutStatus is the status a retrieval for a job puts an item in.
func OutStatus(job string) string {
	switch job {
	case JobERetrieval:
		return StatusPulledERetrieval
	case JobDeaccession:
		return StatusDeaccessioned
	case JobSHIP:
		return StatusOutSHIP
	}
	return StatusOutPhysical
}

// JobOfStatus is the job an item with status s is queued for or out on; "" for none.
func JobOfStatus(s string) string {
	switch s {
	case StatusQueuePhysical, StatusOutPhysical:
		return JobPhysical
	case StatusQueueERetrieval, StatusPulledERetrieval:
		return JobERetrieval
	case StatusQueueDeaccession, StatusDeaccessioned:
		return JobDeaccession
	case StatusQueueSHIP, StatusOutSHIP:
		return JobSHIP
	}
	return ""
}

// istatus texts of circrequests results. "Item Requested", "Invalid Stop
// Code" and "Item Cannot be Retrieved - Item is Currently Out of the
// Facility" are CaiaSoft's (docs/libraries.md, REST API); the others are annex's wordings
// (assumed: the public record does not show them).
const (
	IStatusRequested     = "Item Requested"
	DenyInvalidStop      = "Invalid Stop Code"
	DenyOut              = "Item Cannot be Retrieved - Item is Currently Out of the Facility"
	DenyNotInStorage     = "Item Not In Storage"
	DenyNotAvailable     = "Item Not Available"
	DenyTitleLevel       = "Title Level Request Without Barcode"
	DenyInvalid          = "Invalid Request"
	IStatusDuplicateSkip = "Duplicate Request Skipped"
)

// DenialCode names the cause of a denial (annex's own: CaiaSoft answers the
// istatus only, and several causes share one istatus). A request's reason
// is the code's istatus, then the detail of this one case; conformance and
// scenarios match the code, never the prose.
type DenialCode string

// Denial codes.
const (
	DenialInvalidRecord     DenialCode = "invalid_record"      // the record (or posted entry) cannot be read
	DenialNoRequestID       DenialCode = "no_request_id"       // the request has no id to deduplicate it by
	DenialNoStop            DenialCode = "no_stop"             // a posted request names no stop
	DenialUnknownStop       DenialCode = "unknown_stop"        // a posted stop is not one of the facility's
	DenialUnroutedStop      DenialCode = "unrouted_stop"       // no one profile serves the posted stop
	DenialNoStopTranslation DenialCode = "no_stop_translation" // translation.stops has no stop for the pickup
	DenialInactiveStop      DenialCode = "inactive_stop"       // the stop is not an active stop of the facility
	DenialNoALEPHUser       DenialCode = "no_aleph_user"       // the stop has no CAIAUSER in aleph.users
	DenialNotInStorage      DenialCode = "not_in_storage"      // the barcode is not in the profile's inventory
	DenialOutOfFacility     DenialCode = "out_of_facility"     // the item is out of the facility
	DenialNotAvailable      DenialCode = "not_available"       // the item is in storage but busy (queued, in accession…)
	DenialMissing           DenialCode = "missing"             // the floor did not find the item: its request is cancelled
	DenialTitleLevel        DenialCode = "title_level"         // a title-level request, without an item barcode
	DenialDuplicate         DenialCode = "duplicate_skipped"   // the request id was seen before: skipped, not denied
)

// denialIStatus is the istatus of each denial code.
var denialIStatus = map[DenialCode]string{
	DenialInvalidRecord: DenyInvalid, DenialNoRequestID: DenyInvalid,
	DenialNoStop: DenyInvalidStop, DenialUnknownStop: DenyInvalidStop, DenialUnroutedStop: DenyInvalidStop,
	DenialNoStopTranslation: DenyInvalidStop, DenialInactiveStop: DenyInvalidStop, DenialNoALEPHUser: DenyInvalidStop,
	DenialNotInStorage: DenyNotInStorage, DenialOutOfFacility: DenyOut, DenialNotAvailable: DenyNotAvailable,
	DenialMissing: DenyNotAvailable, DenialTitleLevel: DenyTitleLevel, DenialDuplicate: IStatusDuplicateSkip,
}

// DenialCodes lists every denial code, sorted.
var DenialCodes = slices.Sorted(maps.Keys(denialIStatus))

// DenialCodeNames is DenialCodes as strings, for checks and schemas.
func DenialCodeNames() []string {
	out := make([]string, len(DenialCodes))
	for i, c := range DenialCodes {
		out[i] = string(c)
	}
	return out
}

// IStatus is the istatus text a request denied for c is answered with.
func (c DenialCode) IStatus() string { return denialIStatus[c] }

// Reason is the full reason of a denial: the istatus, then the detail.
func (c DenialCode) Reason(detail string) string { return c.IStatus() + ": " + detail }

// Item event kinds: one row of item_events per status change, named by
// what happened. The date-range lists read them: accessioned ← accession,
// retrieved ← retrieval, refiled ← refile, deaccessioned ← deaccession.
const (
	EventIncoming    = "incoming"      // announced by incomingitems: waiting on the accession stream
	EventReceive     = "receive"       // received on the floor: in accession process
	EventAccession   = "accession"     // accessioned: at rest
	EventQueued      = "queued"        // a request put it in a job's queue
	EventCancel      = "cancel"        // its request was withdrawn: back at rest
	EventRetrieval   = "retrieval"     // out on physical retrieval
	EventERetrieval  = "e_retrieval"   // pulled for e-retrieval
	EventScanDone    = "scan_done"     // scanned: in queue for refile
	EventSHPOut      = "shp_out"       // out on SH-I-P service
	EventReturn      = "return"        // back from a physical retrieval or SH-I-P: in queue for refile
	EventRefile      = "refile"        // refiled: at rest
	EventDeaccession = "deaccession"   // deaccessioned
	EventMissing     = "missing"       // not found on its shelf
	EventUpdate      = "status_update" // itemupdates set the status
)

// EventKinds lists the event kinds.
var EventKinds = []string{EventIncoming, EventReceive, EventAccession, EventQueued, EventCancel, EventRetrieval,
	EventERetrieval, EventScanDone, EventSHPOut, EventReturn, EventRefile, EventDeaccession, EventMissing}

// MaxBatch is the most entries one call of a list endpoint (circrequests,
// itemstatuslist, incomingitems, itemupdates) may carry.
const MaxBatch = 500

// ClearField in an itemupdates value clears the field; a blank value
// leaves it unchanged. CaiaSoft documents the prefix "CLEARFIELD".
const ClearField = "CLEARFIELD"
