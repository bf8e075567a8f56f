"""corral.executors"""
