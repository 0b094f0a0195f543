-- grain_date
-- params: {"p0": "2025-01-01 00:00:00", "p1": "2026-01-01 00:00:00"}
SELECT DATE("order_items"."created_at") AS "order_items.created_at[date]", SUM("order_items"."sale_price") AS "order_items.revenue" FROM "order_items" AS "order_items" WHERE "order_items"."created_at" >= :p0 AND "order_items"."created_at" < :p1 GROUP BY DATE("order_items"."created_at");

-- grain_week
-- params: {"p0": "2025-01-01 00:00:00", "p1": "2026-01-01 00:00:00"}
SELECT DATE("order_items"."created_at", 'weekday 0', '-6 days') AS "order_items.created_at[week]", SUM("order_items"."sale_price") AS "order_items.revenue" FROM "order_items" AS "order_items" WHERE "order_items"."created_at" >= :p0 AND "order_items"."created_at" < :p1 GROUP BY DATE("order_items"."created_at", 'weekday 0', '-6 days');

-- grain_month
-- params: {"p0": "2025-01-01 00:00:00", "p1": "2026-01-01 00:00:00"}
SELECT STRFTIME('%Y-%m-01', "order_items"."created_at") AS "order_items.created_at[month]", SUM("order_items"."sale_price") AS "order_items.revenue" FROM "order_items" AS "order_items" WHERE "order_items"."created_at" >= :p0 AND "order_items"."created_at" < :p1 GROUP BY STRFTIME('%Y-%m-01', "order_items"."created_at");

-- grain_quarter
-- params: {"p0": "2025-01-01 00:00:00", "p1": "2026-01-01 00:00:00"}
SELECT PRINTF('%s-%02d-01', STRFTIME('%Y', "order_items"."created_at"), (CAST(CAST((CAST(STRFTIME('%m', "order_items"."created_at") AS INTEGER) + 2) AS REAL) / 3 AS INTEGER)) * 3 - 2) AS "order_items.created_at[quarter]", SUM("order_items"."sale_price") AS "order_items.revenue" FROM "order_items" AS "order_items" WHERE "order_items"."created_at" >= :p0 AND "order_items"."created_at" < :p1 GROUP BY PRINTF('%s-%02d-01', STRFTIME('%Y', "order_items"."created_at"), (CAST(CAST((CAST(STRFTIME('%m', "order_items"."created_at") AS INTEGER) + 2) AS REAL) / 3 AS INTEGER)) * 3 - 2);

-- grain_year
-- params: {"p0": "2025-01-01 00:00:00", "p1": "2026-01-01 00:00:00"}
SELECT STRFTIME('%Y-01-01', "order_items"."created_at") AS "order_items.created_at[year]", SUM("order_items"."sale_price") AS "order_items.revenue" FROM "order_items" AS "order_items" WHERE "order_items"."created_at" >= :p0 AND "order_items"."created_at" < :p1 GROUP BY STRFTIME('%Y-01-01', "order_items"."created_at");

-- filter_on_a_grain
-- params: {"p0": "2025-03-01", "p1": "2025-06-01"}
SELECT STRFTIME('%Y-%m-01', "order_items"."created_at") AS "order_items.created_at[month]", COUNT(*) AS "order_items.items_sold" FROM "order_items" AS "order_items" WHERE STRFTIME('%Y-%m-01', "order_items"."created_at") >= :p0 AND STRFTIME('%Y-%m-01', "order_items"."created_at") < :p1 GROUP BY STRFTIME('%Y-%m-01', "order_items"."created_at");

-- filter_equal_and_one_of
-- params: {"p0": "Europe", "p1": "Complete", "p2": "Shipped"}
SELECT "users"."country" AS "users.country", COUNT(DISTINCT "order_items"."order_id") AS "order_items.order_count" FROM "order_items" AS "order_items" LEFT JOIN "users" AS "users" ON "order_items"."user_id" = "users"."id" WHERE "users"."region" = :p0 AND "order_items"."status" IN (:p1, :p2) GROUP BY "users"."country";

-- filter_not_keeps_nulls
-- params: {"p0": "Cancelled"}
SELECT "order_items"."status" AS "order_items.status", COUNT(*) AS "order_items.items_sold" FROM "order_items" AS "order_items" WHERE NOT ("order_items"."status" = :p0) OR "order_items"."status" IS NULL GROUP BY "order_items"."status";

-- filter_null_and_not_null
-- params: {}
SELECT "orders"."status" AS "orders.status", COUNT(DISTINCT "orders"."id") AS "orders.order_count" FROM "orders" AS "orders" WHERE "orders"."returned_at" IS NULL AND NOT "orders"."shipped_at" IS NULL GROUP BY "orders"."status";

-- filter_text_match
-- params: {"p0": "SWEAT", "p1": "n"}
SELECT "products"."brand" AS "products.brand", SUM("order_items"."sale_price") AS "order_items.revenue" FROM "order_items" AS "order_items" LEFT JOIN "products" AS "products" ON "order_items"."product_id" = "products"."id" WHERE INSTR(LOWER("products"."category"), LOWER(:p0)) > 0 AND INSTR(LOWER("products"."brand"), LOWER(:p1)) = 1 GROUP BY "products"."brand";

-- filter_number_range
-- params: {"p0": 25, "p1": 45}
SELECT CASE WHEN "users"."age" < 18 THEN 'Under 18' WHEN "users"."age" < 25 THEN '18-24' WHEN "users"."age" < 35 THEN '25-34' WHEN "users"."age" < 45 THEN '35-44' WHEN "users"."age" < 55 THEN '45-54' ELSE '55+' END AS "users.age_group", COUNT(DISTINCT "users"."id") AS "users.user_count" FROM "users" AS "users" WHERE "users"."age" >= :p0 AND "users"."age" < :p1 GROUP BY CASE WHEN "users"."age" < 18 THEN 'Under 18' WHEN "users"."age" < 25 THEN '18-24' WHEN "users"."age" < 35 THEN '25-34' WHEN "users"."age" < 45 THEN '35-44' WHEN "users"."age" < 55 THEN '45-54' ELSE '55+' END;

-- filter_on_a_measure
-- params: {"p0": 50}
SELECT "users"."country" AS "users.country", COUNT(DISTINCT "users"."id") AS "users.user_count" FROM "users" AS "users" GROUP BY "users"."country" HAVING COUNT(DISTINCT "users"."id") >= :p0;

-- ranking_top_5
-- params: {"p0": "2025-01-01 00:00:00", "p1": "2026-01-01 00:00:00"}
SELECT "products"."brand" AS "products.brand", SUM("order_items"."sale_price") AS "order_items.revenue" FROM "order_items" AS "order_items" LEFT JOIN "products" AS "products" ON "order_items"."product_id" = "products"."id" WHERE "order_items"."created_at" >= :p0 AND "order_items"."created_at" < :p1 GROUP BY "products"."brand" ORDER BY "order_items.revenue" DESC LIMIT 5;

-- ranking_bottom_3
-- params: {}
SELECT "products"."category" AS "products.category", COUNT(*) AS "order_items.items_sold" FROM "order_items" AS "order_items" LEFT JOIN "products" AS "products" ON "order_items"."product_id" = "products"."id" GROUP BY "products"."category" ORDER BY "order_items.items_sold" ASC NULLS LAST LIMIT 3;

-- join_two_hops
-- params: {}
SELECT "distribution_centers"."name" AS "distribution_centers.name", SUM("order_items"."sale_price" - "products"."cost") AS "order_items.gross_margin", COUNT(DISTINCT "order_items"."user_id") AS "order_items.customer_count" FROM "order_items" AS "order_items" LEFT JOIN "products" AS "products" ON "order_items"."product_id" = "products"."id" LEFT JOIN "distribution_centers" AS "distribution_centers" ON "products"."distribution_center_id" = "distribution_centers"."id" GROUP BY "distribution_centers"."name";

-- joined_distinct_count
-- params: {}
SELECT STRFTIME('%Y-01-01', "order_items"."created_at") AS "order_items.created_at[year]", COUNT(DISTINCT "products"."id") AS "products.product_count", AVG("order_items"."sale_price") AS "order_items.average_sale_price" FROM "order_items" AS "order_items" LEFT JOIN "products" AS "products" ON "order_items"."product_id" = "products"."id" GROUP BY STRFTIME('%Y-01-01', "order_items"."created_at");

-- dimensions_only
-- params: {}
SELECT DISTINCT "users"."region" AS "users.region", "users"."gender" AS "users.gender" FROM "users" AS "users";

-- computed_dimension
-- params: {"p0": "2024-01-01"}
SELECT CASE WHEN "users"."age" < 18 THEN 'Under 18' WHEN "users"."age" < 25 THEN '18-24' WHEN "users"."age" < 35 THEN '25-34' WHEN "users"."age" < 45 THEN '35-44' WHEN "users"."age" < 55 THEN '45-54' ELSE '55+' END AS "users.age_group", "users"."traffic_source" AS "users.traffic_source", COUNT(DISTINCT "users"."id") AS "users.user_count", AVG("users"."age") AS "users.average_age" FROM "users" AS "users" WHERE STRFTIME('%Y-01-01', "users"."created_at") >= :p0 GROUP BY CASE WHEN "users"."age" < 18 THEN 'Under 18' WHEN "users"."age" < 25 THEN '18-24' WHEN "users"."age" < 35 THEN '25-34' WHEN "users"."age" < 45 THEN '35-44' WHEN "users"."age" < 55 THEN '45-54' ELSE '55+' END, "users"."traffic_source";
