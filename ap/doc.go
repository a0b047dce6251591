// Package ap is the access point runtime of an oots node: it turns the AS4
// core (package as4) into an access point that a Member State can run instead
// of Domibus, in one process and without a message broker.
//
// How a message goes through a node:
//
//   - Receiving (Node.ServeAS4, POST /as4): as4.Receiver.Serve bounds the
//     HTTP body (Config.MaxBodySize), unpacks and verifies it
//     (as4.Receiver.Unpack: MIME, envelope, P-Mode leg, WS-Security, header
//     against the leg, the signer bound to the eb:From party, payloads); the
//     node checks it is addressed to this access point, streams its
//     payloads to files of the payload directory (synced before the commit;
//     payloads.go) and stores it in the inbox; a message whose eb:MessageId was received
//     before from the same partner is not stored again (duplicate
//     elimination, AS4 profile §3.2), but answered with a receipt all the
//     same, and one whose id another partner used is refused. The answer is
//     a receipt (AS4 profile §5.1.8, signed with non-repudiation information
//     when the leg says so) or an ebMS Error signal with the code of the as4
//     catalogue (ebMS3 Core §6). Nothing is stored for a refused message.
//     When the store fails the answer is HTTP 503 without a signal, so that
//     the sender retries.
//   - Sending (Node.Submit, POST /api/v1/messages): a submission is checked
//     against the P-Mode, given its eb:MessageId, and queued in the store,
//     idempotently on the backend's client key. Workers claim due messages
//     with a lease (several nodes on one PostgreSQL database share the
//     queue); a submission that finds a worker idle is queued already
//     claimed for it, with the same lease, and handed over. Workers send them with as4.Sender.Send (compress, sign, encrypt,
//     post, then check the signal: signed by the partner, about this
//     message, with the NRR digests of what was signed). A transport
//     failure, an HTTP error without a signal, a missing or invalid receipt,
//     a signal signed by someone else than the partner or an error about
//     another message is retried per the leg's reception awareness policy
//     (pmode.Retry: CONSTANT intervals of Timeout/Count, or PROGRESSIVE
//     doubling intervals summing to Timeout); the partner's ebMS Error signal
//     about the message, or the end of the retries (EBMS:0202
//     DeliveryFailure), is final. Every attempt carries the same
//     eb:MessageId, so the partner's duplicate elimination keeps delivery
//     exactly-once.
//   - Partners: each is static (endpoint and encryption certificate from the
//     P-Mode) or resolved by dynamic discovery (Config.Discovered,
//     Config.Discovery; eDelivery BDXL and SMP, packages bdxl and smp): its
//     endpoint URL and certificate are looked up before each attempt. An
//     unknown participant or document type and a bad SMP answer are final;
//     an unreachable DNS server or SMP is retried like a transport failure.
//   - The backend (api.go, described by the OpenAPI document served at
//     /openapi.json): submit, follow the status of a submission, list and
//     fetch received messages, acknowledge them; and, when a webhook is
//     configured, received messages are pushed to it as JSON (payloads in
//     base64, streamed from their files), signed with HMAC-SHA256 over the
//     method, path, X-OOTS-* headers and body (header X-OOTS-Signature), and
//     retried with backoff until it answers 2xx. Large payloads are uploaded
//     (POST /api/v1/payloads) and submitted by id. Each message carries its stable eb:MessageId
//     (X-OOTS-Message-Id), so a backend that records the ids it processed sees
//     every message exactly once even when a push is repeated after a crash.
//     The pushes say what they carry in X-OOTS-Event: "message" for a
//     received message, "send-failed" for a submitted message the node gave
//     up on (SendFailure). An in-process Backend that implements
//     FailureBackend gets the latter through SendFailed. The failure report
//     is queued in the store in the transaction that records the failure,
//     and delivered, retried and recorded like a received message's push, so
//     the backend learns of every final send failure at least once, also
//     when the node stops in between. One that implements ReceiptBackend
//     is told of each partner's signed receipt (Receipt: its eb:MessageId
//     and NRR digests, for an exchange log) at least once, also when the
//     node stops in between: the statement that records the delivery
//     records the hand-off too, and it is retried and recorded like a
//     failure report (Node.Receipt reads a stored receipt at any time); a
//     received message's Header.NRR holds the digests the node's own signed
//     receipt repeats.
//   - Operations: /metrics (Prometheus, by prometheus/client_golang from a
//     registry of the node's own: per partner, leg and state, latency
//     histograms, queue ages, certificate expiry, process and Go runtime;
//     behind the API token), /healthz (the
//     process runs), /readyz (the store answers and takes a write, the data
//     directory a synced file), structured logs (log/slog) that name
//     messages by id, never log payload content and log a repeated error with
//     back-off, retention (Config.Retention) that purges the payloads of
//     finished messages, and the sweep of orphaned payload files.
//
// One node uses one signing credential, hence one eDelivery AS4 security
// profile for the receipts and errors it signs (RSA: 1.15, Ed25519: 2.0);
// the legs of its P-Mode must use that profile or none. Pull, two-way
// exchanges and asynchronous receipts are not implemented (OOTS uses one-way
// push with synchronous receipts).
//
// # Persistence
//
// The node keeps its state through the interface Store (Outbox, Inbox,
// FailureReports, retention, counts, readiness), which this package declares
// as the consumer. The records those interfaces take and return, their
// states and the errors of the contract (apstore.ErrNotFound,
// apstore.ErrWrongState …) are declared by package ap/apstore, a part of the
// access point that imports nothing of the module; package store implements
// Store on SQLite and PostgreSQL with them, and cmd/oots wires the two. The
// records are not in this package because store may not import ap: store is
// the database of every component of a node, several of them below the
// access point (package smp, whose client ap uses for discovery and whose
// server keeps its data in store; the Common Services registry; the audit
// journal), so store importing ap would be an import cycle through smp and
// would make each of them depend on the access point runtime. This package
// does not import store; only its tests open a real database.
package ap
