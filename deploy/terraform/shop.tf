# The shop on AWS: serve_role (carts) behind the ALB, the roles it calls
# (internal_roles) as internal ECS services found by name through Cloud Map,
# and one ElastiCache Redis they share (redis_enabled; flash_sale_enabled
# creates it too). ElastiCache without in-transit encryption: scalelab's Redis
# client speaks plain RESP.
locals {
  internal_domain = "${var.name}.local"
  # Every service gets the same settings: the URL of each internal role, the
  # store, JSON logs; var.environment wins.
  environment = merge(
    { SCALELAB_PORT = tostring(var.container_port), SCALELAB_LOG_FORMAT = "json" },
    { for role in var.internal_roles :
      "SCALELAB_${upper(replace(role, "-", "_"))}_URL" => "http://${role}.${local.internal_domain}:${var.container_port}"
    },
    var.redis_enabled ? { SCALELAB_STORE = "redis://${aws_elasticache_cluster.redis[0].cache_nodes[0].address}:6379" } : {},
    var.environment,
  )
}

resource "aws_service_discovery_private_dns_namespace" "internal" {
  name = local.internal_domain
  vpc  = aws_vpc.main.id
}

resource "aws_service_discovery_service" "internal" {
  for_each = toset(var.internal_roles)
  name     = each.key
  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.internal.id
    routing_policy = "MULTIVALUE"
    dns_records {
      ttl  = 10
      type = "A"
    }
  }
  health_check_custom_config {
    failure_threshold = 1
  }
}

resource "aws_ecs_task_definition" "internal" {
  for_each                 = toset(var.internal_roles)
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  container_definitions = jsonencode([{
    name         = each.key
    image        = "${aws_ecr_repository.scalelab.repository_url}:${var.image_tag}"
    command      = ["serve", each.key]
    essential    = true
    portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]
    environment  = [for k, v in local.environment : { name = k, value = v }]
    stopTimeout  = 15
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.scalelab.name
        awslogs-region        = var.region
        awslogs-stream-prefix = each.key
      }
    }
  }])
}

resource "aws_ecs_service" "internal" {
  for_each        = toset(var.internal_roles)
  name            = "${var.name}-${each.key}"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.internal[each.key].arn
  desired_count   = 1
  launch_type     = "FARGATE"
  network_configuration {
    subnets          = aws_subnet.public[*].id
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = true
  }
  service_registries {
    registry_arn = aws_service_discovery_service.internal[each.key].arn
  }
}

resource "aws_elasticache_subnet_group" "redis" {
  count      = var.redis_enabled || var.flash_sale_enabled ? 1 : 0
  name       = "${var.name}-redis"
  subnet_ids = aws_subnet.public[*].id
}

resource "aws_security_group" "redis" {
  count  = var.redis_enabled || var.flash_sale_enabled ? 1 : 0
  name   = "${var.name}-redis"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port       = 6379
    to_port         = 6379
    protocol        = "tcp"
    security_groups = [aws_security_group.tasks.id]
  }
}

resource "aws_elasticache_cluster" "redis" {
  count              = var.redis_enabled || var.flash_sale_enabled ? 1 : 0
  cluster_id         = "${var.name}-redis"
  engine             = "redis"
  node_type          = var.redis_node_type
  num_cache_nodes    = 1
  subnet_group_name  = aws_elasticache_subnet_group.redis[0].name
  security_group_ids = [aws_security_group.redis[0].id]
}
