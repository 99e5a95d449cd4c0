# hw2: two EC2 instances, each running the albums service from the same
# image (var.hw2_enabled). They share nothing: POST to one, GET from the other
# disagrees, as in the course; point SCALELAB_STORE at a shared Redis to agree.
data "aws_ami" "debian" {
  count       = var.hw2_enabled ? 1 : 0
  most_recent = true
  owners      = ["136693071363"] # Debian's official AWS account
  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
}

resource "aws_security_group" "hw2" {
  count  = var.hw2_enabled ? 1 : 0
  name   = "${var.name}-hw2"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = var.container_port
    to_port     = var.container_port
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.hw2_ssh_cidr]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "hw2" {
  count                  = var.hw2_enabled ? 2 : 0
  ami                    = data.aws_ami.debian[0].id
  instance_type          = var.hw2_instance_type
  subnet_id              = aws_subnet.public[count.index].id
  vpc_security_group_ids = [aws_security_group.hw2[0].id]
  # Debian's podman runs the image pulled from the ECR repository.
  user_data = <<-EOT
    #!/bin/sh
    set -e
    apt-get update && apt-get install -y podman awscli
    aws ecr get-login-password --region ${var.region} | podman login --username AWS --password-stdin ${aws_ecr_repository.scalelab.repository_url}
    podman run -d --restart always -p ${var.container_port}:8080 ${aws_ecr_repository.scalelab.repository_url}:${var.image_tag} serve albums
  EOT
  tags      = { Name = "${var.name}-hw2-${count.index + 1}" }
}
