package ap_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/store"
)

// Two access points on loopback: FR submits a message, DE receives it and
// answers with a receipt; DE's backend reads and acknowledges it. (Without
// security here, to keep the example short; the tests run both eDelivery
// AS4 profiles.)
func ExampleNode() {
	dir, _ := os.MkdirTemp("", "ap-example")
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The partners' HTTP servers first: the P-Modes need their addresses.
	handlers := map[string]http.Handler{}
	endpoints := map[string]string{}
	for _, name := range []string{"AP_FR_01", "AP_DE_01"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handlers[name].ServeHTTP(w, r) }))
		defer srv.Close()
		endpoints[name] = srv.URL + "/as4"
	}
	nodes := map[string]*ap.Node{}
	for _, name := range []string{"AP_FR_01", "AP_DE_01"} {
		pm := pmodes(pmode.ProfileNone, endpoints, nil)
		pm.Self = name
		db, err := store.Open(ctx, filepath.Join(dir, name+".db"))
		if err != nil {
			fmt.Println(err)
			return
		}
		defer db.Close()
		node, err := ap.New(ap.Config{PMode: pm, Store: db, Logger: quietLog, PollInterval: 20 * time.Millisecond})
		if err != nil {
			fmt.Println(err)
			return
		}
		handlers[name], nodes[name] = node.Handler(), node
		go node.Run(ctx)
	}

	st, _, err := nodes["AP_FR_01"].Submit(ctx, submission("order-1", "q1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for st.State == apstore.OutQueued {
		time.Sleep(10 * time.Millisecond)
		st, _ = nodes["AP_FR_01"].Status(ctx, st.MessageID)
	}
	fmt.Println("FR:", st.State, "after", st.Attempts, "attempt")

	// DE's backend: GET /api/v1/inbox/{id}, then POST …/ack.
	rec := httptest.NewRecorder()
	handlers["AP_DE_01"].ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/inbox/"+st.MessageID, nil))
	fmt.Println("DE inbox:", rec.Code)
	rec = httptest.NewRecorder()
	handlers["AP_DE_01"].ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/inbox/"+st.MessageID+"/ack", nil))
	fmt.Println("DE ack:", rec.Code)
	// Output:
	// FR: delivered after 1 attempt
	// DE inbox: 200
	// DE ack: 204
}
