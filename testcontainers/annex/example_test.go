package annex_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/testcontainers/testcontainers-go"

	"github.com/annexlab/annex/testcontainers/annex"
)

// Start the demo world (engine, SFTP, mock ALMA and mock ALEPH) in a
// container, with mock ALMA answering its next CheckOutItem with an NCIP
// Problem, and ask mock ALMA's export job to send its requests.
func ExampleRun() {
	ctx := context.Background()
	ctr, err := annex.Run(ctx, "annex:dev",
		annex.WithFaults("alma", `{"kind": "problem", "service": "CheckOutItem", "problem_type": "Unknown Item", "count": 1}`),
	)
	defer func() {
		if err := testcontainers.TerminateContainer(ctr); err != nil {
			log.Print(err)
		}
	}()
	if err != nil {
		log.Print(err)
		return
	}
	alma, err := ctr.ALMAURL(ctx)
	if err != nil {
		log.Print(err)
		return
	}
	resp, err := http.Post(alma+"/_sim/export", "application/json", nil)
	if err != nil {
		log.Print(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
}
