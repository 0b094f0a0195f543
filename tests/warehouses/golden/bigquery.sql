-- grain_date
-- params: {"p0": "2025-01-01T00:00:00", "p1": "2026-01-01T00:00:00"}
SELECT DATETIME_TRUNC(`order_items`.`created_at`, DAY) AS `c0`, SUM(`order_items`.`sale_price`) AS `c1` FROM `order_items` AS `order_items` WHERE `order_items`.`created_at` >= @p0 AND `order_items`.`created_at` < @p1 GROUP BY DATETIME_TRUNC(`order_items`.`created_at`, DAY);

-- grain_week
-- params: {"p0": "2025-01-01T00:00:00", "p1": "2026-01-01T00:00:00"}
SELECT DATETIME_TRUNC(`order_items`.`created_at`, WEEK(MONDAY)) AS `c0`, SUM(`order_items`.`sale_price`) AS `c1` FROM `order_items` AS `order_items` WHERE `order_items`.`created_at` >= @p0 AND `order_items`.`created_at` < @p1 GROUP BY DATETIME_TRUNC(`order_items`.`created_at`, WEEK(MONDAY));

-- grain_month
-- params: {"p0": "2025-01-01T00:00:00", "p1": "2026-01-01T00:00:00"}
SELECT DATETIME_TRUNC(`order_items`.`created_at`, MONTH) AS `c0`, SUM(`order_items`.`sale_price`) AS `c1` FROM `order_items` AS `order_items` WHERE `order_items`.`created_at` >= @p0 AND `order_items`.`created_at` < @p1 GROUP BY DATETIME_TRUNC(`order_items`.`created_at`, MONTH);

-- grain_quarter
-- params: {"p0": "2025-01-01T00:00:00", "p1": "2026-01-01T00:00:00"}
SELECT DATETIME_TRUNC(`order_items`.`created_at`, QUARTER) AS `c0`, SUM(`order_items`.`sale_price`) AS `c1` FROM `order_items` AS `order_items` WHERE `order_items`.`created_at` >= @p0 AND `order_items`.`created_at` < @p1 GROUP BY DATETIME_TRUNC(`order_items`.`created_at`, QUARTER);

-- grain_year
-- params: {"p0": "2025-01-01T00:00:00", "p1": "2026-01-01T00:00:00"}
SELECT DATETIME_TRUNC(`order_items`.`created_at`, YEAR) AS `c0`, SUM(`order_items`.`sale_price`) AS `c1` FROM `order_items` AS `order_items` WHERE `order_items`.`created_at` >= @p0 AND `order_items`.`created_at` < @p1 GROUP BY DATETIME_TRUNC(`order_items`.`created_at`, YEAR);

-- filter_on_a_grain
-- params: {"p0": "2025-03-01T00:00:00", "p1": "2025-06-01T00:00:00"}
SELECT DATETIME_TRUNC(`order_items`.`created_at`, MONTH) AS `c0`, COUNT(*) AS `c1` FROM `order_items` AS `order_items` WHERE DATETIME_TRUNC(`order_items`.`created_at`, MONTH) >= @p0 AND DATETIME_TRUNC(`order_items`.`created_at`, MONTH) < @p1 GROUP BY DATETIME_TRUNC(`order_items`.`created_at`, MONTH);

-- filter_equal_and_one_of
-- params: {"p0": "Europe", "p1": "Complete", "p2": "Shipped"}
SELECT `users`.`country` AS `c0`, COUNT(DISTINCT `order_items`.`order_id`) AS `c1` FROM `order_items` AS `order_items` LEFT JOIN `users` AS `users` ON `order_items`.`user_id` = `users`.`id` WHERE `users`.`region` = @p0 AND `order_items`.`status` IN (@p1, @p2) GROUP BY `users`.`country`;

-- filter_not_keeps_nulls
-- params: {"p0": "Cancelled"}
SELECT `order_items`.`status` AS `c0`, COUNT(*) AS `c1` FROM `order_items` AS `order_items` WHERE NOT (`order_items`.`status` = @p0) OR `order_items`.`status` IS NULL GROUP BY `order_items`.`status`;

-- filter_null_and_not_null
-- params: {}
SELECT `orders`.`status` AS `c0`, COUNT(DISTINCT `orders`.`id`) AS `c1` FROM `orders` AS `orders` WHERE `orders`.`returned_at` IS NULL AND NOT `orders`.`shipped_at` IS NULL GROUP BY `orders`.`status`;

-- filter_text_match
-- params: {"p0": "SWEAT", "p1": "n"}
SELECT `products`.`brand` AS `c0`, SUM(`order_items`.`sale_price`) AS `c1` FROM `order_items` AS `order_items` LEFT JOIN `products` AS `products` ON `order_items`.`product_id` = `products`.`id` WHERE INSTR(LOWER(`products`.`category`), LOWER(@p0)) > 0 AND INSTR(LOWER(`products`.`brand`), LOWER(@p1)) = 1 GROUP BY `products`.`brand`;

-- filter_number_range
-- params: {"p0": 25, "p1": 45}
SELECT CASE WHEN `users`.`age` < 18 THEN 'Under 18' WHEN `users`.`age` < 25 THEN '18-24' WHEN `users`.`age` < 35 THEN '25-34' WHEN `users`.`age` < 45 THEN '35-44' WHEN `users`.`age` < 55 THEN '45-54' ELSE '55+' END AS `c0`, COUNT(DISTINCT `users`.`id`) AS `c1` FROM `users` AS `users` WHERE `users`.`age` >= @p0 AND `users`.`age` < @p1 GROUP BY CASE WHEN `users`.`age` < 18 THEN 'Under 18' WHEN `users`.`age` < 25 THEN '18-24' WHEN `users`.`age` < 35 THEN '25-34' WHEN `users`.`age` < 45 THEN '35-44' WHEN `users`.`age` < 55 THEN '45-54' ELSE '55+' END;

-- filter_on_a_measure
-- params: {"p0": 50}
SELECT `users`.`country` AS `c0`, COUNT(DISTINCT `users`.`id`) AS `c1` FROM `users` AS `users` GROUP BY `users`.`country` HAVING COUNT(DISTINCT `users`.`id`) >= @p0;

-- ranking_top_5
-- params: {"p0": "2025-01-01T00:00:00", "p1": "2026-01-01T00:00:00"}
SELECT `products`.`brand` AS `c0`, SUM(`order_items`.`sale_price`) AS `c1` FROM `order_items` AS `order_items` LEFT JOIN `products` AS `products` ON `order_items`.`product_id` = `products`.`id` WHERE `order_items`.`created_at` >= @p0 AND `order_items`.`created_at` < @p1 GROUP BY `c0` ORDER BY `c1` DESC LIMIT 5;

-- ranking_bottom_3
-- params: {}
SELECT `products`.`category` AS `c0`, COUNT(*) AS `c1` FROM `order_items` AS `order_items` LEFT JOIN `products` AS `products` ON `order_items`.`product_id` = `products`.`id` GROUP BY `c0` ORDER BY `c1` ASC NULLS LAST LIMIT 3;

-- join_two_hops
-- params: {}
SELECT `distribution_centers`.`name` AS `c0`, SUM(`order_items`.`sale_price` - `products`.`cost`) AS `c1`, COUNT(DISTINCT `order_items`.`user_id`) AS `c2` FROM `order_items` AS `order_items` LEFT JOIN `products` AS `products` ON `order_items`.`product_id` = `products`.`id` LEFT JOIN `distribution_centers` AS `distribution_centers` ON `products`.`distribution_center_id` = `distribution_centers`.`id` GROUP BY `distribution_centers`.`name`;

-- joined_distinct_count
-- params: {}
SELECT DATETIME_TRUNC(`order_items`.`created_at`, YEAR) AS `c0`, COUNT(DISTINCT `products`.`id`) AS `c1`, AVG(`order_items`.`sale_price`) AS `c2` FROM `order_items` AS `order_items` LEFT JOIN `products` AS `products` ON `order_items`.`product_id` = `products`.`id` GROUP BY DATETIME_TRUNC(`order_items`.`created_at`, YEAR);

-- dimensions_only
-- params: {}
SELECT DISTINCT `users`.`region` AS `c0`, `users`.`gender` AS `c1` FROM `users` AS `users`;

-- computed_dimension
-- params: {"p0": "2024-01-01T00:00:00"}
SELECT CASE WHEN `users`.`age` < 18 THEN 'Under 18' WHEN `users`.`age` < 25 THEN '18-24' WHEN `users`.`age` < 35 THEN '25-34' WHEN `users`.`age` < 45 THEN '35-44' WHEN `users`.`age` < 55 THEN '45-54' ELSE '55+' END AS `c0`, `users`.`traffic_source` AS `c1`, COUNT(DISTINCT `users`.`id`) AS `c2`, AVG(`users`.`age`) AS `c3` FROM `users` AS `users` WHERE DATETIME_TRUNC(`users`.`created_at`, YEAR) >= @p0 GROUP BY CASE WHEN `users`.`age` < 18 THEN 'Under 18' WHEN `users`.`age` < 25 THEN '18-24' WHEN `users`.`age` < 35 THEN '25-34' WHEN `users`.`age` < 45 THEN '35-44' WHEN `users`.`age` < 55 THEN '45-54' ELSE '55+' END, `users`.`traffic_source`;
