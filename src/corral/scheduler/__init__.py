"""corral.scheduler"""
