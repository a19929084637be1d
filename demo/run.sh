#!/usr/bin/env bash
# The whole job on the embedded default (DuckDB and files), as a user would run it.
# Run by `make demo`; everything lands under CLARION_HOME (default ./.clarion).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
export CLARION_HOME="${CLARION_HOME:-$PWD/.clarion}"
work="$CLARION_HOME/demo"
rm -rf "$CLARION_HOME"
mkdir -p "$work"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
json_field() { python -c "import json, sys; print(json.load(sys.stdin)$1)"; }

step "1. A customer file in the whitepaper's CSV format (1,000 customers, 3 broken rows)"
clarion endpoints sample --count 1000 --bad-rows 3 --out "$work/customers.csv"
head -c 400 "$work/customers.csv"; echo " ..."

step "2. Import it as the static segment 'customers' (bad rows reported, good rows kept)"
clarion --json endpoints import "$work/customers.csv" --segment customers | tee "$work/import.json"
imported_segment=$(json_field "['segment_id']" < "$work/import.json")

step "3. The whitepaper's refined segment: imported customers, channel EMAIL, Company AnyCompany, FirstName Zoë"
sed "s/\${IMPORTED_SEGMENT_ID}/$imported_segment/" "$here/refined-segment.json" > "$work/refined-segment.json"
refined=$(clarion --json segments create "$work/refined-segment.json" | json_field "['id']")
echo "segment id: $refined"
clarion --json segments preview "$refined"
members=$(clarion segments members "$refined")
echo "first members:"
printf '%s\n' "$members" | sed -n '1,5p'

step "4. A template, and the whitepaper's campaign: A/B subjects, 10% holdout, sent immediately"
clarion templates create "$here/template.json"
clarion templates render whitepaper-email --endpoint "$(printf '%s\n' "$members" | sed -n '1p')"
sed "s/\${SEGMENT_ID}/$refined/" "$here/campaign.json" > "$work/campaign.json"
campaign=$(clarion --json campaigns create "$work/campaign.json" | json_field "['id']")
echo "campaign id: $campaign"
clarion campaigns launch "$campaign"
clarion campaigns runs "$campaign"

step "5. What would have been delivered (real MIME files in the outbox)"
emails=("$CLARION_HOME"/outbox/email/*.eml)
echo "${#emails[@]} email files, for example ${emails[0]}:"
sed -n '1,12p' "${emails[0]}"

step "6. Simulated engagement through SES event ingestion: opens, clicks, bounces, a complaint, an unsubscribe"
python "$here/simulate_engagement.py" "$CLARION_HOME/outbox" "$work/ses-events.jsonl"
clarion events ingest "$work/ses-events.jsonl" --source ses

step "7. Simulated purchases (PutEvents): before the send, in the week after it, after the 7-day window"
clarion segments members "$refined" > "$work/members.txt"
clarion --json campaigns runs "$campaign" > "$work/runs.json"
python "$here/simulate_purchases.py" "$CLARION_HOME/outbox" "$work/members.txt" "$work/runs.json" \
  "$work/ses-events.jsonl" "$work/purchases"
for body in "$work"/purchases/purchases-*.json; do clarion events put "$body"; done

step "8. Campaign analytics: the funnel to conversions, revenue, and the lift over the 10% holdout with its interval; the report"
clarion analytics campaign "$campaign"
clarion analytics report "$campaign"

step "9. Launched again: the endpoints that unsubscribed, complained or bounced are skipped"
clarion campaigns launch "$campaign"
clarion campaigns runs "$campaign"

step "10. Social sentiment: customers' handles, posts scored, apology and influencer outreach sent"
clarion endpoints import "$here/social_handles.ndjson"
for template in "$here"/templates/social-*.json; do clarion templates create "$template"; done
clarion sentiment ingest "$here/social_posts.jsonl" --rules "$here/sentiment_rules.yaml"
clarion sentiment report --rules "$here/sentiment_rules.yaml"
negative=$(clarion --json segments create "$here/sentiment-segment.json" | json_field "['id']")
echo "customers whose latest post was negative (a segment on the new attributes):"
clarion --json segments preview "$negative"

step "11. Predictive churn: simulated history, XGBoost trained and scored, churn segment, retention campaign with a holdout"
clarion churn demo --customers 1500
clarion churn report

step "12. The whitepaper's onboarding journey: sign-up entry, welcome email, a week's wait, a split on opening it, tips or basics"
for template in "$here"/journeys/onboarding-{welcome,tips,basics}.json; do clarion templates create "$template"; done
journey=$(clarion --json journeys create "$here/journeys/onboarding-journey.json" | json_field "['id']")
echo "journey id: $journey"
clarion journeys activate "$journey" --now 2025-03-03T08:00:00Z
printf '%s\n' "$members" > "$work/refined-members.txt"
python "$here/journeys/sign_ups.py" "$work/refined-members.txt" "$work/sign-ups.json" --count 1000 --at 2025-03-03T09:00:00Z
echo "The refined segment's customers sign up (those who unsubscribed, complained or bounced above do not enter):"
clarion events put "$work/sign-ups.json" --now 2025-03-03T09:00:00Z
python "$here/simulate_engagement.py" "$CLARION_HOME/outbox" "$work/journey-ses-events.jsonl" --journey --activity welcome --at 2025-03-03T09:05:00+00:00
echo "Simulated opens (and a complaint) of the welcome emails, attributed by their tags:"
clarion events ingest "$work/journey-ses-events.jsonl" --source ses --now 2025-03-03T12:00:00Z
echo "A week later: the split on opening, then tips or basics (the complainer is not emailed again):"
clarion journeys tick --now 2025-03-10T09:30:00Z
clarion journeys metrics "$journey" --now 2025-03-10T09:30:00Z
first=$(printf '%s\n' "$members" | sed -n '1p')
echo "Why did customer $first go where it went?"
clarion journeys explain "$journey" --endpoint "$first" --now 2025-03-10T09:30:00Z

printf '\nDone. Everything is under %s\n' "$CLARION_HOME"
printf '\nThe console on this data (in a browser, no terminal needed after this):\n'
printf '  CLARION_HOME=%s %s serve\n' "$CLARION_HOME" "$(command -v clarion)"
printf '  then open http://127.0.0.1:8080/console/ (the campaign: http://127.0.0.1:8080/console/analytics/campaigns/%s)\n' "$campaign"
printf '  the onboarding journey on its canvas: http://127.0.0.1:8080/console/journeys/%s\n' "$journey"
