# The course's AWS shape for scalelab: ECR, ECS on Fargate behind an ALB with
# target tracking auto scaling (hw5/hw6), and the hw2 variant on two EC2
# instances. See deploy/README.md for the commands, the costs and teardown.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}
