# Right, written another way: one JSON patch with kubectl, the day-of-week field written as ``?`` (any),
# which the CronJob controller's parser reads as ``*``.
kubectl patch cronjob nightly-report -n "$NAMESPACE" --type=json -p '[
  {"op": "replace", "path": "/spec/suspend", "value": false},
  {"op": "replace", "path": "/spec/schedule", "value": "0 2 * * ?"},
  {"op": "add", "path": "/spec/timeZone", "value": "Europe/Paris"}
]'
