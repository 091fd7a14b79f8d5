package alma

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/annexlab/annex/ncip"
	"github.com/annexlab/annex/simulators/journal"
	"github.com/annexlab/annex/simulators/simapi"
)

// ErrNoItem is returned (wrapped) by DeleteItem for a barcode not in the state.
var ErrNoItem = errors.New("no such item")

// DeleteResult is what DeleteItem did; POST /_sim/items/{barcode}/delete returns it as JSON.
type DeleteResult struct {
	// Sent reports whether the facility answered at all.
	Sent bool `json:"sent"`
	// Status is the facility's HTTP status, 0 when there was no answer.
	Status int `json:"status"`
	// Problems are the ProblemType values of the facility's reply.
	Problems []string `json:"problems"`
	Error    string   `json:"error,omitempty"`
}

// DeleteItem deletes an item, as a cataloguer does in ALMA, and tells the
// facility with NCIP DeleteItem. The item is gone from the state whatever
// the facility answers: ALMA does not wait for the facility's consent.
func (s *Server) DeleteItem(ctx context.Context, barcode string) (DeleteResult, error) {
	s.mu.Lock()
	inst := s.world.st.Institution
	ok := s.world.deleteItem(barcode)
	s.mu.Unlock()
	if !ok {
		return DeleteResult{Problems: []string{}}, fmt.Errorf("delete item %s: %w", barcode, ErrNoItem)
	}
	res := DeleteResult{Problems: []string{}}
	fac := s.cfg.Facility
	msg := &ncip.Message{Version: ncip.V2, Body: &ncip.DeleteItem{
		InitiationHeader: &ncip.InitiationHeader{FromAgencyId: ncip.SV(inst), ToAgencyId: ncip.SV(fac.AgencyId)},
		ItemId:           ncip.ItemId{ItemIdentifierValue: barcode},
	}}
	body, err := ncip.Encode(msg, Style())
	if err != nil {
		return res, fmt.Errorf("delete item %s: %w", barcode, err)
	}
	start := time.Now()
	ex := journal.Exchange{Simulator: "alma", Transport: "http", Direction: "out", Method: http.MethodPost,
		URL: fac.NCIPURL, RemoteAddr: fac.NCIPURL, Service: "DeleteItem", Version: ncip.V2.String(), Request: body}
	defer func() {
		ex.Duration = time.Since(start)
		ex.Error = res.Error
		ex.Problems = res.Problems
		s.journal.Add(ex)
	}()
	if fac.NCIPURL == "" {
		res.Error = "facility.ncip_url is not set; DeleteItem not sent"
		return res, nil
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(fac.Timeout, 10*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fac.NCIPURL, bytes.NewReader(body))
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	req.Header.Set("Content-Type", ReplyContentType)
	ex.RequestHeaders = req.Header.Clone()
	resp, err := s.client.Do(req)
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	res.Sent, res.Status = true, resp.StatusCode
	ex.Status, ex.Response, ex.ResponseHeaders = resp.StatusCode, reply, resp.Header.Clone()
	if err != nil {
		res.Error = "reading the reply: " + err.Error()
		return res, nil
	}
	m, _, err := ncip.Decode(reply, ncip.ParseOptions{})
	if err != nil {
		res.Error = "the reply is not NCIP: " + err.Error()
		return res, nil
	}
	for _, p := range m.Problems() {
		res.Problems = append(res.Problems, p.ProblemType.Value)
	}
	return res, nil
}

func (s *Server) serveDeleteItem(w http.ResponseWriter, r *http.Request) {
	if !simapi.NoFields(w, r) {
		return
	}
	res, err := s.DeleteItem(r.Context(), r.PathValue("barcode"))
	if errors.Is(err, ErrNoItem) {
		simapi.WriteError(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		simapi.WriteError(w, http.StatusInternalServerError, err)
		return
	}
	simapi.WriteJSON(w, http.StatusOK, res)
}
