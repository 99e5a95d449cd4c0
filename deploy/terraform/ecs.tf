resource "aws_ecr_repository" "scalelab" {
  name                 = var.name
  image_tag_mutability = "MUTABLE"
  force_delete         = true # `terraform destroy` removes pushed images too
}

resource "aws_ecs_cluster" "main" {
  name = var.name
}

resource "aws_cloudwatch_log_group" "scalelab" {
  name              = "/ecs/${var.name}"
  retention_in_days = 7
}

# The role ECS uses to pull the image and write logs.
data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_ecs_task_definition" "scalelab" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  container_definitions = jsonencode([{
    name         = var.name
    image        = "${aws_ecr_repository.scalelab.repository_url}:${var.image_tag}"
    command      = ["serve", var.serve_role]
    essential    = true
    portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]
    environment  = [for k, v in local.environment : { name = k, value = v }]
    # SIGTERM, then the server drains for up to 10 s (--shutdown-grace).
    stopTimeout = 15
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.scalelab.name
        awslogs-region        = var.region
        awslogs-stream-prefix = var.serve_role
      }
    }
  }])
}

resource "aws_ecs_service" "scalelab" {
  name            = var.name
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.scalelab.arn
  desired_count   = var.min_tasks
  launch_type     = "FARGATE"
  network_configuration {
    subnets          = aws_subnet.public[*].id
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = true
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.scalelab.arn
    container_name   = var.name
    container_port   = var.container_port
  }
  depends_on = [aws_lb_listener.http]
  lifecycle {
    # Auto scaling owns the count; an apply must not reset it.
    ignore_changes = [desired_count]
  }
}
