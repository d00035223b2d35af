"""Subscribers who leave while the outbox works: no row is written for a subscription removed
meanwhile, and a failed send to one removed while it was on the wire is cancelled, not left to
retry forever (both found by benchmarks/soak.py). Real SQLite file, real webhook receiver."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from monitor import detect, outbox, subscriptions
from monitor.schema import open_db
from servers import free_port
from test_delivery import T0, T1, harmony_downgrade, later


def test_a_subscription_removed_during_enqueue_gets_no_rows(db, put_report, put_provider,
                                                            webhook_sink, monkeypatch):
    harmony_downgrade(put_report, put_provider)
    stays = subscriptions.add(db, webhook_sink.url("stays"), all=True, now=T0)
    leaves = subscriptions.add(db, webhook_sink.url("leaves"), all=True, now=T0)
    detect.detect(db, now=T1)
    real = subscriptions.active_matchers

    def then_unsubscribe(database):          # the other process's unsubscribe lands here
        matchers = real(database)
        assert subscriptions.remove(database, leaves)
        return matchers

    monkeypatch.setattr(subscriptions, "active_matchers", then_unsubscribe)
    assert outbox.enqueue(db, now=T1) == 4
    assert {r[0] for r in db.execute("select subscription_id from deliveries")} == {stays}


def test_a_failed_send_to_a_subscription_removed_meanwhile_is_cancelled(
        db_path, db, put_report, put_provider):
    harmony_downgrade(put_report, put_provider)
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), None)
    sub = subscriptions.add(db, f"json://127.0.0.1:{server.server_port}/hook", all=True, now=T0)

    class Unsubscribing(BaseHTTPRequestHandler):
        def do_POST(self):                   # the subscriber leaves while the send is on the
            self.rfile.read(int(self.headers.get("Content-Length") or 0))   # wire; it fails
            other = open_db(db_path)
            subscriptions.remove(other, sub)
            other.conn.close()
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server.RequestHandlerClass = Unsubscribing
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        detect.detect(db, now=T1)
        outbox.enqueue(db, now=T1)
        counts = outbox.deliver_due(db, now=T1)
    finally:
        server.shutdown()
        server.server_close()
    # the attempt failed, and there is no one left to retry for
    assert counts == {"sent": 0, "retrying": 0, "failed": 0, "cancelled": 4}
    assert counts.messages["cancelled"] == 1
    assert {r[0] for r in db.execute("select status from deliveries")} == {"cancelled"}
    assert outbox.deliver_due(db, now=later(T1, 86400)) == {"sent": 0, "retrying": 0,
                                                            "failed": 0}
