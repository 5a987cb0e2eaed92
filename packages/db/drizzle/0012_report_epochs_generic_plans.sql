-- Why: the one-report function (0010) runs its statements on arrays and subscripts of them, for which the planner makes
-- custom plans again on every call until it trusts a generic one, and with these statements it keeps replanning. The
-- batch function (0011) already runs with generic plans; this gives the one-report function, which every report that
-- finds no other in flight goes through, the same setting.
ALTER FUNCTION tunelab_report_epochs(uuid, uuid, uuid, timestamptz, text[], boolean[], int[], float8[], float8[], jsonb,
  int[], timestamptz, text, text, int) SET plan_cache_mode = force_generic_plan;
