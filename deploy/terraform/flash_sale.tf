# The flash sale on AWS (flash_sale_enabled): orders behind the ALB at
# /orders*, order-worker as a service without a port on the ALB, RabbitMQ as
# its own Fargate task found through Cloud Map at rabbitmq.<name>.local:5672,
# and the shop's ElastiCache Redis as the store. Amazon MQ for RabbitMQ is not
# used: it accepts only amqps (TLS), and scalelab's AMQP client speaks plain
# amqp, which stays inside the VPC here.
locals {
  flash_sale = var.flash_sale_enabled ? 1 : 0
  broker_url = "amqp://${var.rabbitmq_user}:${var.rabbitmq_password}@rabbitmq.${local.internal_domain}:5672/%2f"
  flash_sale_environment = merge(
    { SCALELAB_PORT = tostring(var.container_port), SCALELAB_LOG_FORMAT = "json", SCALELAB_BROKER = local.broker_url },
    var.flash_sale_enabled ? { SCALELAB_STORE = "redis://${aws_elasticache_cluster.redis[0].cache_nodes[0].address}:6379/2" } : {},
    var.environment,
  )
  flash_sale_roles = { orders = "orders", order_worker = "order-worker" }
}

# Only the orders and worker tasks carry this group; RabbitMQ admits no other.
resource "aws_security_group" "broker_clients" {
  count  = local.flash_sale
  name   = "${var.name}-broker-clients"
  vpc_id = aws_vpc.main.id
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "rabbitmq" {
  count  = local.flash_sale
  name   = "${var.name}-rabbitmq"
  vpc_id = aws_vpc.main.id
  ingress {
    description     = "plain amqp from the orders and worker tasks only"
    from_port       = 5672
    to_port         = 5672
    protocol        = "tcp"
    security_groups = [aws_security_group.broker_clients[0].id]
  }
  egress {
    description = "pulls the image from its public registry"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# Quorum queues keep their log on disk: with rabbitmq_durable the node's data
# lives on EFS and survives the task being replaced; without it a new task
# starts empty and queued orders are lost (cheaper, fine for a short lab).
resource "aws_efs_file_system" "rabbitmq" {
  count          = var.flash_sale_enabled && var.rabbitmq_durable ? 1 : 0
  creation_token = "${var.name}-rabbitmq"
  encrypted      = true
  tags           = { Name = "${var.name}-rabbitmq" }
}

resource "aws_security_group" "efs" {
  count  = var.flash_sale_enabled && var.rabbitmq_durable ? 1 : 0
  name   = "${var.name}-efs"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port       = 2049
    to_port         = 2049
    protocol        = "tcp"
    security_groups = [aws_security_group.rabbitmq[0].id]
  }
}

resource "aws_efs_mount_target" "rabbitmq" {
  count           = var.flash_sale_enabled && var.rabbitmq_durable ? 2 : 0
  file_system_id  = aws_efs_file_system.rabbitmq[0].id
  subnet_id       = aws_subnet.public[count.index].id
  security_groups = [aws_security_group.efs[0].id]
}

# The image's rabbitmq user is uid/gid 999; the access point owns the
# directory as that user.
resource "aws_efs_access_point" "rabbitmq" {
  count          = var.flash_sale_enabled && var.rabbitmq_durable ? 1 : 0
  file_system_id = aws_efs_file_system.rabbitmq[0].id
  posix_user {
    uid = 999
    gid = 999
  }
  root_directory {
    path = "/rabbitmq"
    creation_info {
      owner_uid   = 999
      owner_gid   = 999
      permissions = "0750"
    }
  }
}

resource "aws_service_discovery_service" "rabbitmq" {
  count = local.flash_sale
  name  = "rabbitmq"
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

resource "aws_ecs_task_definition" "rabbitmq" {
  count                    = local.flash_sale
  family                   = "${var.name}-rabbitmq"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.rabbitmq_cpu
  memory                   = var.rabbitmq_memory
  execution_role_arn       = aws_iam_role.execution.arn
  container_definitions = jsonencode([{
    name         = "rabbitmq"
    image        = var.rabbitmq_image
    essential    = true
    portMappings = [{ containerPort = 5672, protocol = "tcp" }]
    environment = [
      { name = "RABBITMQ_DEFAULT_USER", value = var.rabbitmq_user },
      { name = "RABBITMQ_DEFAULT_PASS", value = var.rabbitmq_password },
      # The data directory is named after the node; a fixed name lets a
      # replacement task (new hostname) find the old one's queues on EFS.
      { name = "RABBITMQ_NODENAME", value = "rabbit@localhost" },
    ]
    mountPoints = var.rabbitmq_durable ? [{ sourceVolume = "rabbitmq-data", containerPath = "/var/lib/rabbitmq" }] : []
    stopTimeout = 30
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.scalelab.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "rabbitmq"
      }
    }
  }])
  dynamic "volume" {
    for_each = var.rabbitmq_durable ? [1] : []
    content {
      name = "rabbitmq-data"
      efs_volume_configuration {
        file_system_id     = aws_efs_file_system.rabbitmq[0].id
        transit_encryption = "ENABLED"
        authorization_config {
          access_point_id = aws_efs_access_point.rabbitmq[0].id
        }
      }
    }
  }
}

resource "aws_ecs_service" "rabbitmq" {
  count           = local.flash_sale
  name            = "${var.name}-rabbitmq"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.rabbitmq[0].arn
  desired_count   = 1
  launch_type     = "FARGATE"
  # One node only: the old task stops before the new one mounts its data.
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  network_configuration {
    subnets          = aws_subnet.public[*].id
    security_groups  = [aws_security_group.rabbitmq[0].id]
    assign_public_ip = true
  }
  service_registries {
    registry_arn = aws_service_discovery_service.rabbitmq[0].arn
  }
  depends_on = [aws_efs_mount_target.rabbitmq]
}

resource "aws_ecs_task_definition" "flash_sale" {
  for_each                 = var.flash_sale_enabled ? local.flash_sale_roles : {}
  family                   = "${var.name}-${each.value}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  container_definitions = jsonencode([{
    name         = each.value
    image        = "${aws_ecr_repository.scalelab.repository_url}:${var.image_tag}"
    command      = ["serve", each.value]
    essential    = true
    portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]
    environment  = [for k, v in local.flash_sale_environment : { name = k, value = v }]
    stopTimeout  = 15
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.scalelab.name
        awslogs-region        = var.region
        awslogs-stream-prefix = each.value
      }
    }
  }])
}

resource "aws_lb_target_group" "orders" {
  count                = local.flash_sale
  name                 = "${var.name}-orders"
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = aws_vpc.main.id
  deregistration_delay = 15
  health_check {
    path                = "/health"
    matcher             = "200"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener_rule" "orders" {
  count        = local.flash_sale
  listener_arn = aws_lb_listener.http.arn
  priority     = 10
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.orders[0].arn
  }
  condition {
    path_pattern {
      values = ["/orders", "/orders/*"]
    }
  }
}

resource "aws_ecs_service" "orders" {
  count           = local.flash_sale
  name            = "${var.name}-orders"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.flash_sale["orders"].arn
  desired_count   = var.orders_tasks
  launch_type     = "FARGATE"
  network_configuration {
    subnets          = aws_subnet.public[*].id
    security_groups  = [aws_security_group.tasks.id, aws_security_group.broker_clients[0].id]
    assign_public_ip = true
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.orders[0].arn
    container_name   = "orders"
    container_port   = var.container_port
  }
  depends_on = [aws_lb_listener_rule.orders]
}

resource "aws_ecs_service" "order_worker" {
  count           = local.flash_sale
  name            = "${var.name}-order-worker"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.flash_sale["order_worker"].arn
  desired_count   = var.order_worker_tasks
  launch_type     = "FARGATE"
  network_configuration {
    subnets          = aws_subnet.public[*].id
    security_groups  = [aws_security_group.tasks.id, aws_security_group.broker_clients[0].id]
    assign_public_ip = true
  }
}
