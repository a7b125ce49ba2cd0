-- 018: submissions that arrive together, recorded together. Under load, `/query` submissions queue behind the one on
-- its way to the database; QueryGate sends those that waited as one statement (`SubmissionBatcher`), which records
-- each exactly as `querygate_record_submission` (migration 017) records it alone, in one transaction. The server's
-- cost per statement (its protocol, snapshot, executor and commit, and a backend woken for each) is then paid once
-- for several: measured with pgbench, 16 clients, PostgreSQL's CPU per submission went from 0.48-0.56 ms, one per
-- statement, to 0.28-0.35 ms, eight per statement; eight statements in one transaction saved next to nothing.
--
-- The submissions come as parallel arrays, one element per submission, in the order of 017's parameters. Arrays
-- cannot carry a NULL from QueryGate's driver, so "none" is spelled: '' for no Slack account and no label, 0 for no
-- requester id and no pod id, -1 for no level (the text is not valid for that engine). Each answer row names the
-- submission it answers (`item`, from 1) with 017's columns and meanings.
--
-- The deadline is the batch's: `p_milliseconds_left` is the least time any of its submissions has left (NULL when
-- none has a deadline). It bounds lock waits, and past it the whole statement is refused (SQLSTATE 57014), so that no
-- submission is recorded after its answer said it was not. A refused batch records nothing; QueryGate then sends its
-- submissions one by one, each with its own deadline, for each its own truthful answer.
BEGIN;

CREATE OR REPLACE FUNCTION querygate_record_submissions(
    p_slack_user_ids TEXT[], p_requester_ids BIGINT[], p_pod_ids BIGINT[], p_actor_labels TEXT[],
    p_sources TEXT[], p_submitted_vias TEXT[], p_actions TEXT[],
    p_instances TEXT[], p_databases TEXT[], p_submission_types TEXT[], p_query_texts TEXT[], p_reasons TEXT[],
    p_postgresql_levels INTEGER[], p_mongodb_levels INTEGER[], p_milliseconds_left INTEGER
) RETURNS TABLE (item INTEGER, outcome TEXT, database_type TEXT, request_id BIGINT, pod_name TEXT, channel TEXT,
                 approvals_required INTEGER, approver_names TEXT[], approver_emails TEXT[], approver_slack_ids TEXT[])
LANGUAGE plpgsql AS $$
DECLARE
    v_deadline TIMESTAMPTZ := clock_timestamp() + make_interval(secs => coalesce(p_milliseconds_left, 0) / 1000.0);
BEGIN
    IF p_milliseconds_left IS NOT NULL THEN
        PERFORM set_config('lock_timeout', greatest(p_milliseconds_left, 1)::text, true);
    END IF;
    IF (SELECT count(DISTINCT coalesce(n, 0)) FROM unnest(ARRAY[
            array_length(p_slack_user_ids, 1), array_length(p_requester_ids, 1), array_length(p_pod_ids, 1),
            array_length(p_actor_labels, 1), array_length(p_sources, 1), array_length(p_submitted_vias, 1),
            array_length(p_actions, 1), array_length(p_instances, 1), array_length(p_databases, 1),
            array_length(p_submission_types, 1), array_length(p_query_texts, 1), array_length(p_reasons, 1),
            array_length(p_postgresql_levels, 1), array_length(p_mongodb_levels, 1)]) AS n) > 1 THEN
        RAISE EXCEPTION 'the submissions'' arrays differ in length' USING ERRCODE = '22023';
    END IF;

    FOR i IN 1 .. coalesce(array_length(p_sources, 1), 0) LOOP
        item := i;
        -- Without a deadline of its own: the batch's is checked once, below, before it commits.
        SELECT r.outcome, r.database_type, r.request_id, r.pod_name, r.channel, r.approvals_required,
               r.approver_names, r.approver_emails, r.approver_slack_ids
        INTO outcome, database_type, request_id, pod_name, channel, approvals_required,
             approver_names, approver_emails, approver_slack_ids
        FROM querygate_record_submission(
            nullif(p_slack_user_ids[i], ''), nullif(p_requester_ids[i], 0), nullif(p_pod_ids[i], 0),
            nullif(p_actor_labels[i], ''), p_sources[i], p_submitted_vias[i], p_actions[i], p_instances[i],
            p_databases[i], p_submission_types[i], p_query_texts[i], p_reasons[i],
            nullif(p_postgresql_levels[i], -1), nullif(p_mongodb_levels[i], -1), NULL) AS r;
        RETURN NEXT;
    END LOOP;

    IF p_milliseconds_left IS NOT NULL AND clock_timestamp() > v_deadline THEN
        RAISE EXCEPTION 'the answer''s deadline passed before the submissions were recorded; none was' USING ERRCODE = '57014';
    END IF;
END
$$;

COMMIT;
