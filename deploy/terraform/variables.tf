variable "region" {
  description = "AWS region (the course used us-west-2)"
  type        = string
  default     = "us-west-2"
}

variable "name" {
  description = "Prefix of every resource's name"
  type        = string
  default     = "scalelab"
}

variable "image_tag" {
  description = "Tag of the scalelab image pushed to the ECR repository"
  type        = string
  default     = "latest"
}

variable "serve_role" {
  description = "The `scalelab serve` role the service runs (catalog: the hw6 search)"
  type        = string
  default     = "catalog"
}

variable "container_port" {
  description = "Port the container listens on (the image's SCALELAB_PORT)"
  type        = number
  default     = 8080
}

variable "task_cpu" {
  description = "Fargate task CPU units (256 = 0.25 vCPU, the course's size)"
  type        = number
  default     = 256
}

variable "task_memory" {
  description = "Fargate task memory in MiB (512 with 256 CPU units)"
  type        = number
  default     = 512
}

variable "min_tasks" {
  description = "Fewest tasks auto scaling keeps (also the starting count)"
  type        = number
  default     = 2
}

variable "max_tasks" {
  description = "Most tasks auto scaling starts"
  type        = number
  default     = 4
}

variable "cpu_target" {
  description = "Average CPU utilization (%) target tracking holds the service at"
  type        = number
  default     = 70
}

variable "cooldown_seconds" {
  description = "Scale-out and scale-in cooldown of the target tracking policy"
  type        = number
  default     = 300
}

variable "hw2_enabled" {
  description = "Also create hw2's two EC2 instances, each running the albums service"
  type        = bool
  default     = false
}

variable "hw2_instance_type" {
  description = "EC2 instance type of the hw2 instances"
  type        = string
  default     = "t3.micro"
}

variable "hw2_ssh_cidr" {
  description = "CIDR allowed to SSH to the hw2 instances (your address/32)"
  type        = string
  default     = "127.0.0.1/32"
}

variable "internal_roles" {
  description = "More `serve` roles run as internal services, reached at http://ROLE.<name>.local:<port> (the shop: [\"catalog\", \"warehouse\", \"payments\"] with serve_role carts)"
  type        = list(string)
  default     = []
}

variable "redis_enabled" {
  description = "Create an ElastiCache Redis node and point every service's SCALELAB_STORE at it"
  type        = bool
  default     = false
}

variable "redis_node_type" {
  description = "ElastiCache node type of the shared Redis"
  type        = string
  default     = "cache.t4g.micro"
}

variable "environment" {
  description = "Extra SCALELAB_* settings for every service (they win over the computed ones)"
  type        = map(string)
  default     = {}
}

variable "flash_sale_enabled" {
  description = "Also run the flash sale: orders behind the ALB at /orders*, order-worker, RabbitMQ as a Fargate task, the shared ElastiCache Redis"
  type        = bool
  default     = false
}

variable "orders_tasks" {
  description = "Tasks of the orders service (flash sale)"
  type        = number
  default     = 2
}

variable "order_worker_tasks" {
  description = "Tasks of the order-worker service (flash sale)"
  type        = number
  default     = 2
}

variable "rabbitmq_image" {
  description = "RabbitMQ image the broker task runs (pulled from its public registry)"
  type        = string
  default     = "rabbitmq:3-management"
}

variable "rabbitmq_cpu" {
  description = "Fargate CPU units of the RabbitMQ task"
  type        = number
  default     = 512
}

variable "rabbitmq_memory" {
  description = "Fargate memory in MiB of the RabbitMQ task"
  type        = number
  default     = 1024
}

variable "rabbitmq_durable" {
  description = "Keep RabbitMQ's /var/lib/rabbitmq on EFS so queued orders survive a replaced task (false: one ephemeral task, lost on replacement)"
  type        = bool
  default     = true
}

variable "rabbitmq_user" {
  description = "RabbitMQ user the broker is created with and the services log in as"
  type        = string
  default     = "scalelab"
}

variable "rabbitmq_password" {
  description = "RabbitMQ password (set your own: -var rabbitmq_password=...)"
  type        = string
  default     = "change-me"
  sensitive   = true
}
