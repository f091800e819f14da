# The next 16-core device call's plan, as prepared in session 13 (not run yet as of session 15, which
# had no device; since d2c6774 every result also has received bytes/S, since d0763ce request
# stealing no longer fetches pieces twice, since 0ba4d81 a peer keeps five connections, not six
# (pc6 below checks that at N = 80), and each murder rep prints its timeline (77ac1f6):
# compare base with the README's 16-core table). Append it to a
# copy of ../shared/devbench/run.sh without that script's last two lines (which run one bench):
#   bash ../shared/devbench/prepare.sh
#   head -n -2 .devbench/run.sh > .devbench/plan.sh && cat docs/bench/16-core/next-plan.sh >> .devbench/plan.sh
# then one device run: command `DEVICE=1 bash .devbench/plan.sh`, carry [".devbench"],
# timeout_s 560 (about 8 minutes of benches, pl256 the one to drop if short: in session 13 an 82-host fleet built in ~25 s and
# a transfer at N = 80 took ~45 s with its set-up). Each bench's results come back as NAME-results.*,
# every trial's line is in run.log, and the per-host marks (downloaded, extracted) as peers.tgz.
# That machine's kernel keeps cubic from network namespaces: cc=auto falls back to its bbr.
LIMIT=100 bench smoke n=3 size=16MiB methods=murder || exit 1
LIMIT=200 bench base n=80 size=256MiB reps=3 methods=murder
LIMIT=150 bench pc6 n=80 size=256MiB reps=2 methods=murder peer_connections=6
LIMIT=150 bench pl256 n=80 size=256MiB reps=2 methods=murder piece_length=256KiB
LIMIT=150 bench pc10 n=80 size=256MiB reps=2 methods=murder peer_connections=10
tar czf "$OUT/peers.tgz" /opt/res-*/*/*.peer.json 2>/dev/null
stamp "end"
