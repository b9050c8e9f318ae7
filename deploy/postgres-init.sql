-- The warehouse database beside Dagster's own, owned by the same login.
create database warehouse;
